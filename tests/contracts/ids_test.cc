#include "contracts/ids.h"

#include <gtest/gtest.h>

namespace traceledger {
namespace {

TEST(Uscc, PublishedExamples) {
  // GB 32100-2015's worked example: 91350100M000100Y4 -> check character 3.
  EXPECT_EQ(UsccCheckChar("91350100M000100Y4"), '3');
  EXPECT_TRUE(IsValidUscc("91350100M000100Y43"));
  EXPECT_FALSE(IsValidUscc("91350100M000100Y4Z"));  // the standard's "incorrect" case
  // Huawei Technologies Co., Ltd. (public registration record).
  EXPECT_TRUE(IsValidUscc("914403001922038216"));
  EXPECT_FALSE(IsValidUscc("914403001922038217"));
}

TEST(Uscc, AlphabetAndLength) {
  EXPECT_FALSE(IsValidUscc(""));
  EXPECT_FALSE(IsValidUscc("91350100M000100Y4"));       // 17
  EXPECT_FALSE(IsValidUscc("91350100M000100Y433"));     // 19
  EXPECT_FALSE(IsValidUscc("91350100I000100Y43"));      // I is not in the alphabet
  EXPECT_FALSE(IsValidUscc("91350100m000100Y43"));      // lowercase
  EXPECT_EQ(UsccCheckChar("9135010OM000100Y4"), '\0');  // O is not in the alphabet
  // Every 17-char prefix has exactly one valid check character.
  std::string base = "91330100MA2XXXXX0";
  for (char& c : base)
    if (c == 'X') c = 'A';
  int valid = 0;
  for (char c : std::string("0123456789ABCDEFGHJKLMNPQRTUWXY")) valid += IsValidUscc(base + c);
  EXPECT_EQ(valid, 1);
}

TEST(Gs1, CheckDigits) {
  // GS1's documented example: GTIN-13 629104150021 -> 3.
  EXPECT_EQ(Gs1CheckDigit("629104150021"), 3);
  // GS1 Sweden's example: 730001100001 -> 7.
  EXPECT_EQ(Gs1CheckDigit("730001100001"), 7);
  EXPECT_TRUE(IsValidGtin14("06291041500213"));  // the same GTIN as 14 digits
  EXPECT_TRUE(IsValidGtin14("06901234567892"));
  EXPECT_FALSE(IsValidGtin14("06901234567893"));
  EXPECT_FALSE(IsValidGtin14("6901234567892"));  // 13 digits
  EXPECT_FALSE(IsValidGtin14("0690123456789X"));
  EXPECT_TRUE(IsValidSscc("106141411234567897"));  // GS1 General Specifications SSCC example
  EXPECT_EQ(Gs1CheckDigit("12a"), -1);
}

TEST(Codes, SafeAlphabetAndGs1Form) {
  std::string why;
  EXPECT_TRUE(IsValidCode("VAX-2026-000001"));
  EXPECT_TRUE(IsValidCode("(01)06901234567892(21)ABC123"));
  EXPECT_TRUE(IsValidCode("(00)106141411234567897"));
  EXPECT_EQ(GtinOfCode("(01)06901234567892(21)ABC123"), "06901234567892");
  EXPECT_FALSE(IsValidCode("(01)06901234567893(21)ABC123", &why));  // bad check digit
  EXPECT_NE(why.find("GTIN"), std::string::npos);
  EXPECT_FALSE(IsValidCode("(01)06901234567892(10)LOT1"));                   // not canonical
  EXPECT_FALSE(IsValidCode("(01)06901234567892(21)"));                       // empty serial
  EXPECT_FALSE(IsValidCode("(01)06901234567892(21)123456789012345678901"));  // 21 > 20
  EXPECT_FALSE(IsValidCode("(02)06901234567892"));
  EXPECT_FALSE(IsValidCode(""));
  EXPECT_FALSE(IsValidCode(std::string(129, 'A')));
  EXPECT_TRUE(IsValidCode(std::string(128, 'A')));
  EXPECT_FALSE(IsValidCode("A|B"));
  EXPECT_FALSE(IsValidCode("A B"));
  EXPECT_FALSE(IsValidCode("疫苗"));
  EXPECT_TRUE(IsValidId("LOT-2026.11/A"));
  EXPECT_FALSE(IsValidId("LOT(1)"));
  EXPECT_FALSE(IsValidId(std::string(65, 'a')));
}

}  // namespace
}  // namespace traceledger
