#include "api/alert_text.h"

#include <gtest/gtest.h>

namespace traceledger::api {
namespace {

// The shapes the contracts write (contracts/tx_quality.cc, tx_custody.cc,
// tx_recall.cc), each in Chinese; anything else gets no Chinese text.
TEST(AlertTextTest, EachKindOfContractMessageInChinese) {
  EXPECT_EQ(AlertMessageZh("temperature_excursion",
                           "readings 7.5..11.8 C left the range 2.0..8.0 C for 2 item(s) of "
                           "code (01)06901234567892(21)D0001; quarantined"),
            "温度记录 7.5～11.8 °C 超出允许范围 2.0～8.0 °C，涉及追溯码 "
            "(01)06901234567892(21)D0001 的 2 件，已隔离");
  EXPECT_EQ(AlertMessageZh("temperature_excursion",
                           "readings -12.0..-10.5 C left the range <= -18.0 C for 8 item(s) of "
                           "shipment CC-1; quarantined"),
            "温度记录 -12.0～-10.5 °C 超出允许范围 ≤ -18.0 °C，涉及运单 CC-1 的 8 件，已隔离");
  EXPECT_EQ(AlertMessageZh("inspection_failed",
                           "inspection report \"INS-1\" failed lot SAL-7 of 06901234567915; 3 "
                           "item(s) quarantined"),
            "检验报告 \"INS-1\" 判定批次 SAL-7（产品 06901234567915）不合格，3 件已隔离");
  EXPECT_EQ(AlertMessageZh("overdue_shipment",
                           "shipment \"SH-1\" from 91330100MA0000001X to 91330100MA0000002Y was "
                           "due 2026-11-30T12:00:00.000Z and is not received"),
            "运单 \"SH-1\"（91330100MA0000001X → 91330100MA0000002Y）应于 "
            "2026-11-30T12:00:00.000Z 前送达，至今未签收");
  EXPECT_EQ(AlertMessageZh("recall",
                           "recall \"RC-1\" (level 2) of \"06901234567892\": 10 item(s) at 3 "
                           "holder(s) must be returned or destroyed"),
            "召回 \"RC-1\"（2级），产品 \"06901234567892\"：3 个持有方的 10 件须退回或销毁");
}

TEST(AlertTextTest, UnknownShapesGetNoChineseText) {
  EXPECT_EQ(AlertMessageZh("recall", "something else entirely"), "");
  EXPECT_EQ(AlertMessageZh("no_such_kind",
                           "readings 1..2 C left the range 0..1 C for 1 item(s) "
                           "of code X; quarantined"),
            "");
  EXPECT_EQ(AlertMessageZh("temperature_excursion", "readings 1..2 C left the range"), "");
  EXPECT_EQ(AlertMessageZh("temperature_excursion", ""), "");
}

}  // namespace
}  // namespace traceledger::api
