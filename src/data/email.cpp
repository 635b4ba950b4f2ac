#include <bulwark/data/email.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include <bulwark/core/base64.h>

namespace bulwark::data {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Part {
  std::map<std::string, std::string> headers;  // lower-case names, unfolded values
  std::string_view body;
};

// Splits at the first empty line; header lines that start with blanks continue the previous one.
Part split_part(std::string_view raw) {
  Part part;
  size_t pos = 0;
  std::string last;
  while (pos < raw.size()) {
    size_t end = raw.find('\n', pos);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view line = raw.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (line.empty()) {
      part.body = pos < raw.size() ? raw.substr(pos) : std::string_view{};
      return part;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !last.empty()) {
      part.headers[last] += " " + std::string(trim(line));
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // an mbox "From " line or junk
    last = lower(trim(line.substr(0, colon)));
    part.headers[last] = std::string(trim(line.substr(colon + 1)));
  }
  return part;  // no empty line: headers only
}

std::string header(const Part& p, const std::string& name) {
  auto it = p.headers.find(name);
  return it == p.headers.end() ? std::string() : it->second;
}

// The value of parameter `name` in a header such as `multipart/mixed; boundary="abc"`.
std::string parameter(const std::string& value, const std::string& name) {
  const std::string low = lower(value);
  size_t at = 0;
  while ((at = low.find(name + "=", at)) != std::string::npos) {
    if (at == 0 || low[at - 1] == ';' || std::isspace(static_cast<unsigned char>(low[at - 1]))) break;
    at += name.size();
  }
  if (at == std::string::npos) return {};
  size_t start = at + name.size() + 1;
  if (start < value.size() && value[start] == '"') {
    const size_t close = value.find('"', start + 1);
    return value.substr(start + 1, close == std::string::npos ? std::string::npos : close - start - 1);
  }
  size_t end = start;
  while (end < value.size() && value[end] != ';' && !std::isspace(static_cast<unsigned char>(value[end]))) ++end;
  return value.substr(start, end - start);
}

void walk(std::string_view raw, int depth, std::string& out) {
  const Part part = split_part(raw);
  const std::string type_header = header(part, "content-type");
  std::string type = lower(trim(type_header.substr(0, type_header.find(';'))));
  if (type.empty()) type = "text/plain";
  if (type.rfind("multipart/", 0) == 0 && depth < 8) {
    const std::string boundary = parameter(type_header, "boundary");
    if (!boundary.empty()) {
      const std::string delim = "--" + boundary;
      std::string_view body = part.body;
      size_t pos = body.find(delim);
      while (pos != std::string_view::npos) {
        size_t start = pos + delim.size();
        if (body.substr(start, 2) == "--") break;  // the closing delimiter
        start = body.find('\n', start);
        if (start == std::string_view::npos) break;
        const size_t next = body.find(delim, start + 1);
        walk(body.substr(start + 1, next == std::string_view::npos ? std::string_view::npos
                                                                   : next - start - 1),
             depth + 1, out);
        pos = next;
      }
      return;
    }
  }
  if (type.rfind("text/", 0) != 0 && type.rfind("multipart/", 0) != 0) return;  // attachments
  const std::string encoding = lower(trim(header(part, "content-transfer-encoding")));
  std::string text;
  if (encoding == "quoted-printable") {
    text = decode_quoted_printable(part.body);
  } else if (encoding == "base64") {
    text = base64_decode(part.body);
  } else {
    text = std::string(part.body);
  }
  if (type == "text/html") text = strip_html(text);
  if (!out.empty()) out += '\n';
  out += text;
}

}  // namespace

std::string decode_quoted_printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    if (i + 1 < s.size() && (s[i + 1] == '\n' || s[i + 1] == '\r')) {  // soft line break
      ++i;
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      continue;
    }
    if (i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
      continue;
    }
    out += '=';
  }
  return out;
}

std::string strip_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const std::string low = lower(s);
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '<') {
      for (const char* block : {"script", "style"}) {
        if (low.compare(i + 1, std::char_traits<char>::length(block), block) == 0) {
          const size_t close = low.find(std::string("</") + block, i);
          i = close == std::string::npos ? s.size() : close;
          break;
        }
      }
      const size_t end = s.find('>', i);
      i = end == std::string_view::npos ? s.size() : end + 1;
      out += ' ';
      continue;
    }
    if (s[i] == '&') {
      static const std::pair<const char*, char> entities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&nbsp;", ' '}, {"&#39;", '\''}};
      bool matched = false;
      for (const auto& [name, ch] : entities) {
        const size_t len = std::char_traits<char>::length(name);
        if (low.compare(i, len, name) == 0) {
          out += ch;
          i += len;
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    out += s[i++];
  }
  return out;
}

std::string to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= n;
    for (size_t k = 1; valid && k < len; ++k) valid = (p[i + k] & 0xC0) == 0x80;
    if (valid && len == 2) valid = c >= 0xC2;                                  // no overlongs
    if (valid && len == 3) valid = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
    if (valid && len == 4) valid = c <= 0xF4 && !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90);
    if (valid) {
      out.append(s.substr(i, len));
      i += len;
    } else {  // Latin-1: U+0080..U+00FF as two bytes
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
      ++i;
    }
  }
  return out;
}

std::string email_text(std::string_view raw) {
  std::string out;
  walk(raw, 0, out);
  return to_utf8(out);
}

}  // namespace bulwark::data
