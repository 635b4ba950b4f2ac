#pragma once
// The readable text of an RFC 822 / MIME e-mail, for text classifiers.

#include <string>
#include <string_view>

namespace bulwark::data {

// Headers dropped; multipart bodies walked (text/plain and text/html parts kept, attachments
// dropped, nesting up to 8 levels); quoted-printable and base64 transfer encodings decoded; HTML
// tags, scripts and styles removed and common entities decoded. The result is valid UTF-8:
// valid UTF-8 sequences are kept and every other byte is read as Latin-1 (the charset of most
// non-UTF-8 mail in the corpus). Never throws on malformed input: what cannot be decoded is kept
// as raw text.
std::string email_text(std::string_view raw);

// Pieces of the above, exposed for tests.
std::string decode_quoted_printable(std::string_view s);
std::string strip_html(std::string_view s);
// Valid UTF-8 kept; each byte of an invalid sequence taken as a Latin-1 character.
std::string to_utf8(std::string_view s);

}  // namespace bulwark::data
