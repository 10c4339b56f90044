// Input files: read within a size limit checked before reading, parsed with
// the strict parser, errors that name the file (ledger/json_file.h), and key
// files on top of them (ledger/key_file.h).
#include "ledger/json_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/utf8.h"

namespace traceledger {
namespace {

namespace fs = std::filesystem;

class JsonFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("json_file_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

TEST_F(JsonFileTest, ReadsWithinTheLimit) {
  auto r = ReadFileLimited(Write("a", "hello"), 5, "X_TOO_LARGE");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "hello");
  auto big = ReadFileLimited(Write("b", "hello!"), 5, "X_TOO_LARGE");
  EXPECT_EQ(big.status().code(), "X_TOO_LARGE");
  EXPECT_NE(big.status().message().find("6 bytes"), std::string::npos) << big.status().message();
}

// A 10 GB (sparse) file is refused from its size: nothing is read (the test
// takes no time and no memory).
TEST_F(JsonFileTest, AHugeFileIsRefusedWithoutReadingIt) {
  std::string p = (dir_ / "huge").string();
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 10LL << 30), 0);
  ::close(fd);
  auto r = ReadFileLimited(p, 1 << 20, "GENESIS_INVALID");
  EXPECT_EQ(r.status().code(), "GENESIS_INVALID");
  EXPECT_NE(r.status().message().find("10737418240 bytes"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(p), std::string::npos);
}

TEST_F(JsonFileTest, DirectoriesAndMissingFilesAreIoErrors) {
  auto d = ReadFileLimited(dir_.string(), 100, "X");
  EXPECT_EQ(d.status().code(), "IO_ERROR");
  EXPECT_NE(d.status().message().find("is a directory"), std::string::npos);
  auto m = ReadFileLimited((dir_ / "none").string(), 100, "X");
  EXPECT_EQ(m.status().code(), "IO_ERROR");
  EXPECT_NE(m.status().message().find("No such file"), std::string::npos);
}

// A device (or a pipe) has no size: it is read up to the limit and no further.
TEST_F(JsonFileTest, AnEndlessDeviceIsCutAtTheLimit) {
  auto r = ReadFileLimited("/dev/zero", 1000, "X_TOO_LARGE");
  EXPECT_EQ(r.status().code(), "X_TOO_LARGE");
}

TEST_F(JsonFileTest, JsonMistakesNameTheFileAndWhere) {
  nlohmann::json j;
  const JsonLimits lim{1 << 16, 4};
  struct Case {
    std::string bytes;
    const char* says;
  } cases[] = {
      {"", "is empty"},
      {"{\"a\":", "not valid JSON"},
      {"{\"a\":\"\xff\"}", "not valid JSON"},
      {"{\"v\":[{\"id\":1,\"id\":2}]}", "more than once (in $.v[0])"},
      {"[[[[[1]]]]]", "deeper than 4 levels"},
      {"{} x", "not valid JSON"},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string p = Write(std::to_string(n++) + ".json", c.bytes);
    Status s = ReadJsonFile(p, lim, "CONFIG_INVALID", &j);
    EXPECT_EQ(s.code(), "CONFIG_INVALID") << c.bytes;
    EXPECT_NE(s.message().find(p), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
    EXPECT_TRUE(IsValidUtf8(s.message())) << s.message();
  }
  std::string text;
  ASSERT_TRUE(ReadJsonFile(Write("ok", "{\"a\":[1]}"), lim, "X", &j, &text).ok());
  EXPECT_EQ(j["a"][0], 1);
  EXPECT_EQ(text, "{\"a\":[1]}");
}

TEST_F(JsonFileTest, PathsAndMemberNamesArePrintable) {
  EXPECT_EQ(PrintablePath("a/\xff.json"), "a/\xEF\xBF\xBD.json");
  EXPECT_EQ(JsonPathMember("$", "node_id"), "$.node_id");
  EXPECT_EQ(JsonPathMember("$.p", "a b"), "$.p[\"a b\"]");
  EXPECT_EQ(JsonPathMember("$", "q\"x"), "$[\"q\\\"x\"]");
  EXPECT_EQ(JsonPathMember("$", std::string(70, 'k')), "$[\"" + std::string(64, 'k') + "...\"]");
}

TEST_F(JsonFileTest, KeyFilesAreStrict) {
  auto kp = GenerateKeyPair();
  ASSERT_TRUE(kp.ok());
  std::string priv = ToHex(kp->private_key), pub = ToHex(kp->public_key);
  std::string good = Write("good.json", KeyFileJson(*kp));
  auto back = ReadKeyFile(good);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->public_key, kp->public_key);
  struct Case {
    std::string bytes;
    const char* code;
    const char* says;
  } cases[] = {
      {"", "KEY_FILE_INVALID", "is empty"},
      {"[]", "KEY_FILE_INVALID", "not a key file"},
      {"{\"private_key\":1}", "KEY_FILE_INVALID", "$.private_key: must be a string"},
      {"{\"public_key\":\"" + pub + "\"}", "KEY_FILE_INVALID", "$.private_key: missing"},
      {"{\"private_key\":\"" + priv + "\",\"private_key\":\"" + priv + "\"}", "KEY_FILE_INVALID",
       "more than once"},
      {"{\"private_key\":\"" + priv + "\",\"note\":\"x\"}", "KEY_FILE_INVALID", "$.note: unknown"},
      {"{\"private_key\":[\"" + priv + "\"]}", "KEY_FILE_INVALID", "deeper than 1"},
      {"{\"private_key\":\"" + priv + "\",\"public_key\":5}", "KEY_FILE_INVALID",
       "$.public_key: must be a string"},
      {"{\"private_key\":\"" + priv + "\",\"public_key\":\"02" + std::string(64, '0') + "\"}",
       "KEY_FILE_INVALID", "does not belong"},
      {"{\"private_key\":\"abcd\"}", "PRIVATE_KEY_ENCODING", "$.private_key"},
      {std::string(5000, ' ') + "{}", "KEY_FILE_INVALID", "the limit is 4096 bytes"},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string p = Write(std::to_string(n++) + ".key", c.bytes);
    auto r = ReadKeyFile(p);
    EXPECT_EQ(r.status().code(), c.code) << c.bytes;
    EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(ReadKeyFile(dir_.string()).status().code(), "IO_ERROR");
}

}  // namespace
}  // namespace traceledger
