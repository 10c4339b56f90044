// Query parameters (issue 13): every route refuses a parameter it does not
// take and a filter value it does not know, 400 BAD_QUERY (docs/api.md).
#include <gtest/gtest.h>

#include <map>

#include "contracts/ids.h"
#include "served_node.h"

namespace traceledger::api {
namespace {

using nlohmann::json;
using testing::ExpectError;
using testing::Get;
using testing::Raw;
using testing::RawResponse;
using testing::ServedNodeTest;
using testing::TestNode;

class QueryTest : public ServedNodeTest {};

// /v1/alerts?type=bogus answered 200 with an empty list (as if there were no
// such alerts) though docs/api.md promises 400 BAD_QUERY for a bad filter
// value; an unknown parameter name was refused on some routes and ignored on
// others. Now every route refuses both the same way.
TEST_F(QueryTest, EveryRouteRefusesUnknownParametersAndFilterValues) {
  ASSERT_EQ(node_->VaccineJourney(), "");
  auto code_of = [](const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"]["code"].get<std::string>() : "";
  };
  for (const char* bad :
       {"/v1/alerts?type=bogus", "/v1/alerts?type=RECALL", "/v1/alerts?status=opened",
        "/v1/alerts?category=toys", "/v1/alerts?since=yesterday",
        "/v1/alerts?region=3301000000000000000000000000000000000000000000000000000000000000000",
        "/v1/recalls?status=bogus", "/v1/recalls?product_code=a%20b", "/v1/status?consistent=yes",
        "/v1/blocks/1?timeout_ms=0"}) {
    HttpResponse r = node_->Call("GET", bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(code_of(r), "BAD_QUERY") << bad << ": " << r.body;
  }
  EXPECT_EQ(node_->Call("GET", "/v1/alerts?type=temperature_excursion").status, 200);
  const std::string tx = json::parse(node_->Call("GET", "/v1/blocks/1").body)["tx_ids"][0];
  const std::string uscc = testing::MakeUscc(1);
  const std::vector<std::string> routes = {
      "/v1/alerts",
      "/v1/recalls",
      "/v1/recalls/RC-NONE",
      "/v1/enterprises/" + uscc,
      "/v1/products/06901234567892",
      "/v1/trace/%2801%2906901234567892%2821%29D0001",
      "/v1/trace/NO-SUCH-CODE",
      "/01/06901234567892/21/D0001",
      "/01/06901234567892/10/HB2026A",
      "/v1/transactions/" + tx,
      "/v1/blocks/1",
      "/v1/blocks/latest",
      "/v1/status",
      "/v1/cockpit",
  };
  for (const auto& route : routes) {
    HttpResponse plain = node_->Call("GET", route);
    EXPECT_NE(plain.status, 400) << route << ": " << plain.body;
    for (const char* extra : {"bogus=1", "events_fromm=1", "%E8%BF%BD=1", "=1"}) {
      std::string t = route + "?" + extra;
      HttpResponse r = node_->Call("GET", t);
      EXPECT_EQ(r.status, 400) << t << ": " << r.body.substr(0, 200);
      EXPECT_EQ(code_of(r), "BAD_QUERY") << t << ": " << r.body.substr(0, 200);
    }
    // consistent=false (the default) and a valid timeout_ms are taken everywhere.
    HttpResponse c = node_->Call("GET", route + "?consistent=false&timeout_ms=100");
    EXPECT_EQ(c.status, plain.status) << route << ": " << c.body.substr(0, 200);
  }
  // A lot answer does not take an item's paging, nor an item a lot's.
  EXPECT_EQ(code_of(node_->Call("GET", "/01/06901234567892/10/HB2026A?events_from=0")),
            "BAD_QUERY");
  EXPECT_EQ(code_of(node_->Call("GET", "/01/06901234567892/21/D0001?codes_from=0")), "BAD_QUERY");
  // A Digital Link's GS1 data attributes and linkType are ignored.
  EXPECT_EQ(node_->Call("GET", "/01/06901234567892/21/D0001?17=300630&linkType=all").status, 200);
  // POST /v1/transactions takes wait=commit and timeout_ms.
  for (const char* t : {"/v1/transactions?bogus=1", "/v1/transactions?wait=later",
                        "/v1/transactions?wait=commit&timeout_ms=x"}) {
    HttpResponse r = node_->Call("POST", t, "{}");
    EXPECT_EQ(code_of(r), "BAD_QUERY") << t << ": " << r.body;
  }
  // Pages, assets and metrics ignore parameters (a browser adds its own).
  for (const char* t : {"/?utm_source=x", "/t/X1?lang=en&x=1", "/metrics?x=1", "/openapi.json?y"}) {
    EXPECT_EQ(node_->Call("GET", t).status, 200) << t;
  }
}

// web/openapi.json lists exactly what each route takes: every documented
// query parameter, with a value its schema allows, is taken (never
// BAD_QUERY), and a name it does not list is refused.
TEST_F(QueryTest, EveryRouteTakesWhatOpenApiListsAndNothingElse) {
  ASSERT_EQ(node_->VaccineJourney(), "");
  json doc = json::parse(node_->Call("GET", "/openapi.json").body);
  const std::string tx = json::parse(node_->Call("GET", "/v1/blocks/1").body)["tx_ids"][0];
  std::string sscc17 = "00690123456789012";
  const std::string sscc = sscc17 + std::to_string(Gs1CheckDigit(sscc17));
  const std::map<std::string, std::string> concrete = {
      {"/v1/transactions/{tx_id}", "/v1/transactions/" + tx},
      {"/v1/blocks/{height}", "/v1/blocks/1"},
      {"/v1/trace/{code}", "/v1/trace/%2801%2906901234567892%2821%29D0001"},
      {"/01/{gtin}/21/{serial}", "/01/06901234567892/21/D0001"},
      {"/01/{gtin}/10/{lot}", "/01/06901234567892/10/HB2026A"},
      {"/01/{gtin}/10/{lot}/21/{serial}", "/01/06901234567892/10/HB2026A/21/D0001"},
      {"/00/{sscc}", "/00/" + sscc},
      {"/v1/enterprises/{uscc}", "/v1/enterprises/" + testing::MakeUscc(1)},
      {"/v1/products/{code}", "/v1/products/06901234567892"},
      {"/v1/recalls/{id}", "/v1/recalls/RC-NONE"},
      {"/t/{code}", "/t/X1"},
      {"/assets/{file}", "/assets/app.css"},
  };
  auto code_of = [](const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"]["code"].get<std::string>() : "";
  };
  int tried = 0;
  for (const auto& [templ, ops] : doc["paths"].items()) {
    if (!ops.contains("get")) continue;
    std::string path = concrete.count(templ) ? concrete.at(templ) : templ;
    ASSERT_EQ(path.find('{'), std::string::npos) << "no concrete path for " << templ;
    for (const json& p : ops["get"].value("parameters", json::array())) {
      if (p.value("in", "") != "query") continue;
      const json& sch = p["schema"];
      std::string v = p.contains("example")                    ? p["example"].dump()
                      : sch.contains("default")                ? sch["default"].dump()
                      : sch.contains("enum")                   ? sch["enum"][0].dump()
                      : sch.value("format", "") == "date-time" ? "\"2026-01-01T00:00:00Z\""
                      : sch.value("type", "") == "integer" ? std::to_string(sch.value("minimum", 1))
                                                           : "\"x\"";
      if (v.front() == '"') v = v.substr(1, v.size() - 2);
      std::string t = path + "?" + p["name"].get<std::string>() + "=" + v;
      if (p["name"] == "consistent") t = path + "?consistent=true&timeout_ms=2000";
      HttpResponse r = node_->Call("GET", t);
      EXPECT_NE(code_of(r), "BAD_QUERY") << t << ": " << r.body.substr(0, 200);
      EXPECT_LT(r.status, 500) << t;
      ++tried;
    }
    bool ignores = templ == "/" || templ == "/metrics" || templ == "/openapi.json" ||
                   templ == "/t/{code}" || templ == "/assets/{file}";
    HttpResponse r = node_->Call("GET", path + "?undocumented=1");
    if (ignores) {
      EXPECT_NE(code_of(r), "BAD_QUERY") << templ;
    } else {
      EXPECT_EQ(code_of(r), "BAD_QUERY") << templ << ": " << r.body.substr(0, 200);
    }
  }
  EXPECT_GT(tried, 50);
}

}  // namespace
}  // namespace traceledger::api
