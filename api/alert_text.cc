#include "api/alert_text.h"

#include <initializer_list>
#include <vector>

namespace traceledger::api {
namespace {

// Splits `s` at each of `seps` in turn: "a" + sep0 + "b" + sep1 + "c" ->
// {a, b, c}; false unless `s` starts with `head` and every separator is
// found in order (the last part runs to the end, less `tail`).
bool Split(std::string_view s, std::string_view head, std::initializer_list<std::string_view> seps,
           std::string_view tail, std::vector<std::string_view>* parts) {
  if (s.substr(0, head.size()) != head) return false;
  if (s.size() < head.size() + tail.size() || s.substr(s.size() - tail.size()) != tail) {
    return false;
  }
  s = s.substr(head.size(), s.size() - head.size() - tail.size());
  parts->clear();
  for (std::string_view sep : seps) {
    size_t at = s.find(sep);
    if (at == std::string_view::npos) return false;
    parts->push_back(s.substr(0, at));
    s = s.substr(at + sep.size());
  }
  parts->push_back(s);
  return true;
}

// "code X" / "shipment S" / "lot L of P", as the contracts name a subject.
std::string SubjectZh(std::string_view s) {
  std::vector<std::string_view> p;
  if (Split(s, "lot ", {" of "}, "", &p)) {
    return "批次 " + std::string(p[0]) + "（产品 " + std::string(p[1]) + "）";
  }
  if (s.substr(0, 5) == "code ") return "追溯码 " + std::string(s.substr(5));
  if (s.substr(0, 9) == "shipment ") return "运单 " + std::string(s.substr(9));
  return std::string(s);
}

// "2.0..8.0 C" / "<= -18.0 C" / ">= 2.0 C" -> "2.0～8.0 °C" / "≤ -18.0 °C" / "≥ 2.0 °C".
std::string RangeZh(std::string_view r) {
  std::string out;
  if (r.size() >= 2 && r.substr(r.size() - 2) == " C") r = r.substr(0, r.size() - 2);
  if (r.substr(0, 3) == "<= ") {
    out = "≤ " + std::string(r.substr(3));
  } else if (r.substr(0, 3) == ">= ") {
    out = "≥ " + std::string(r.substr(3));
  } else if (size_t dots = r.find(".."); dots != std::string_view::npos) {
    out = std::string(r.substr(0, dots)) + "～" + std::string(r.substr(dots + 2));
  } else {
    out = std::string(r);
  }
  return out + " °C";
}

}  // namespace

std::string AlertMessageZh(std::string_view kind, std::string_view m) {
  std::vector<std::string_view> p;
  if (kind == "temperature_excursion" &&
      Split(m, "readings ", {" C left the range ", " for ", " item(s) of "}, "; quarantined", &p)) {
    return "温度记录 " + RangeZh(std::string(p[0]) + " C") + " 超出允许范围 " + RangeZh(p[1]) +
           "，涉及" + SubjectZh(p[3]) + " 的 " + std::string(p[2]) + " 件，已隔离";
  }
  if (kind == "inspection_failed" &&
      Split(m, "inspection report ", {" failed ", "; "}, " item(s) quarantined", &p)) {
    return "检验报告 " + std::string(p[0]) + " 判定" + SubjectZh(p[1]) + "不合格，" +
           std::string(p[2]) + " 件已隔离";
  }
  if (kind == "overdue_shipment" &&
      Split(m, "shipment ", {" from ", " to ", " was due "}, " and is not received", &p)) {
    return "运单 " + std::string(p[0]) + "（" + std::string(p[1]) + " → " + std::string(p[2]) +
           "）应于 " + std::string(p[3]) + " 前送达，至今未签收";
  }
  if (kind == "recall" && Split(m, "recall ", {" (level ", ") of ", ": ", " item(s) at "},
                                " holder(s) must be returned or destroyed", &p)) {
    return "召回 " + std::string(p[0]) + "（" + std::string(p[1]) + "级），产品 " +
           std::string(p[2]) + "：" + std::string(p[4]) + " 个持有方的 " + std::string(p[3]) +
           " 件须退回或销毁";
  }
  return "";
}

}  // namespace traceledger::api
