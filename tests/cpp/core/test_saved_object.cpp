// core/saved_object.h and core/crc32.h: the header and the digest every saved object carries.
#include <catch2/catch.hpp>

#include <string>

#include <bulwark/core/crc32.h>
#include <bulwark/core/error.h>
#include <bulwark/core/json.h>
#include <bulwark/core/saved_object.h>

using namespace bulwark;

TEST_CASE("crc32_hex is zlib's CRC-32", "[core][saved_object]") {
  CHECK(crc32_hex("") == "00000000");
  CHECK(crc32_hex("123456789") == "cbf43926");  // the standard check value of CRC-32
}

TEST_CASE("a sealed object reads back; a changed value or a missing digest is refused", "[core][saved_object]") {
  json::Object o;
  write_header(o, "bulwark.test", "Thing");
  o.set("temperature", 1.5).set("weights", std::vector<double>{0.25, -3.0, 1e-300});
  seal(o);
  const std::string text = o.dump();
  CHECK(read_header(json::Object::parse(text, "t.json"), "t.json", "bulwark.test") == "Thing");

  json::Object altered = json::Object::parse(text, "t.json");
  altered.set("temperature", 1.5000000000000002);  // one ulp
  CHECK_THROWS_AS(read_header(altered, "t.json", "bulwark.test"), FormatError);
  CHECK_THROWS_WITH(read_header(altered, "t.json", "bulwark.test"), Catch::Contains("do not match their CRC-32"));

  json::Object unsealed = json::Object::parse(text, "t.json");
  unsealed.erase("crc32");
  CHECK_THROWS_WITH(read_header(unsealed, "t.json", "bulwark.test"), Catch::Contains("has no \"crc32\" digest"));
  unsealed.set("version", 1.0);  // written before the digest existed: still read
  CHECK(read_header(unsealed, "t.json", "bulwark.test") == "Thing");
  unsealed.set("version", 3.0);
  CHECK_THROWS_WITH(read_header(unsealed, "t.json", "bulwark.test"), Catch::Contains("version 3 is not supported"));
}
