// The pages in a real browser: a dev node with demo data serves the cockpit
// and a trace page over HTTP; headless Chromium (Debian's `chromium`) loads
// them, runs their scripts, and we check the DOM it ends with against the API,
// look for script errors on its console, and keep screenshots as artifacts.
//
// Exits 77 (ctest SKIP_RETURN_CODE) with a message when chromium is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "../api/test_node.h"
#include "api/http_server.h"

std::string g_chromium;   // path of the browser
std::string g_artifacts;  // where screenshots go

namespace traceledger::api {
namespace {

using nlohmann::json;
using testing::TestNode;

struct ChromeRun {
  int rc = -1;
  std::string out, err;
};

// Runs chromium headless on `url` with a hard time limit.
ChromeRun Chromium(const std::string& url, const std::string& mode) {
  char tmpl[] = "/tmp/tl-chromium-XXXXXX";
  std::string profile = mkdtemp(tmpl) ? tmpl : "/tmp/tl-chromium";
  std::string out = profile + "/out.txt", err = profile + "/err.txt";
  std::string cmd = "timeout -k 5 40 '" + g_chromium +
                    "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                    "--disable-background-networking --disable-component-update --disable-sync "
                    "--disable-extensions --disable-dev-shm-usage --hide-scrollbars "
                    "--enable-logging=stderr --v=0 --user-data-dir=" +
                    profile + " --virtual-time-budget=6000 " + mode + " '" + url + "' >" + out +
                    " 2>" + err;
  ChromeRun r;
  int st = std::system(cmd.c_str());
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream o(out), e(err);
  r.out.assign(std::istreambuf_iterator<char>(o), {});
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  std::filesystem::remove_all(profile);
  return r;
}

// Console messages that are script errors.
std::string ScriptErrors(const std::string& log) {
  std::string bad;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("CONSOLE") != std::string::npos &&
        (line.find("Uncaught") != std::string::npos || line.find("Error") != std::string::npos)) {
      bad += line + "\n";
    }
  }
  return bad;
}

std::string TextOf(const std::string& dom, const std::string& id) {
  std::smatch m;
  std::regex re("id=\"" + id + "\"[^>]*>([^<]*)<");
  return std::regex_search(dom, m, re) ? m[1].str() : "<missing #" + id + ">";
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<TestNode>("browser");
    ASSERT_TRUE(node_->ok()) << node_->error();
    ASSERT_EQ(node_->VaccineJourney(), "");
    ASSERT_EQ(node_->MoreDemo(), "");
    HttpServerOptions o;
    o.port = 0;
    auto s = HttpServer::Start(o, [this](const HttpRequest& req, Responder respond) {
      node_->service()->Handle(req, std::move(respond));
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    node_.reset();
  }
  std::unique_ptr<TestNode> node_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
};

TEST_F(BrowserTest, CockpitRendersNumbersAndCharts) {
  json api = json::parse(node_->Call("GET", "/v1/cockpit").body);
  // One run both dumps the DOM after the scripts ran and takes a screenshot.
  ChromeRun r = Chromium(base_ + "/", "--window-size=1920,1080 --screenshot=" + g_artifacts +
                                          "/cockpit.png --dump-dom");
  ASSERT_EQ(r.rc, 0) << r.err.substr(0, 2000);
  const std::string& dom = r.out;
  EXPECT_NE(dom.find("data-ready=\"1\""), std::string::npos) << "the page never rendered data";
  EXPECT_EQ(TextOf(dom, "kpi-items"), std::to_string(api["items"]["total"].get<int>()));
  EXPECT_EQ(TextOf(dom, "kpi-alerts"), std::to_string(api["alerts"]["open"].get<int>()));
  EXPECT_EQ(TextOf(dom, "kpi-quarantined"), std::to_string(api["quarantined_items"].get<int>()));
  EXPECT_EQ(TextOf(dom, "kpi-recalls"), std::to_string(api["recalls"]["open"].get<int>()));
  EXPECT_EQ(TextOf(dom, "kpi-shipments"), std::to_string(api["shipments"]["open"].get<int>()));
  // The node may close another block while the browser runs.
  json later = json::parse(node_->Call("GET", "/v1/cockpit").body);
  int shown = std::atoi(TextOf(dom, "ledger-height").c_str());
  EXPECT_GE(shown, api["height"].get<int>());
  EXPECT_LE(shown, later["height"].get<int>());
  EXPECT_NE(dom.find("温度超标"), std::string::npos) << "newest alerts list";
  EXPECT_NE(dom.find("RC-2026-001"), std::string::npos) << "recall progress";
  EXPECT_NE(dom.find("浙苗链"), std::string::npos);
  EXPECT_GE(Count(dom, "<canvas"), 5u) << "ECharts drew the charts";
  EXPECT_EQ(dom.find("ECharts not bundled"), std::string::npos);
  EXPECT_EQ(ScriptErrors(r.err), "");
  // English.
  ChromeRun en =
      Chromium(base_ + "/?lang=en", "--window-size=1920,1080 --screenshot=" + g_artifacts +
                                        "/cockpit-en.png --dump-dom");
  ASSERT_EQ(en.rc, 0);
  EXPECT_NE(en.out.find("Open alerts"), std::string::npos);
  EXPECT_NE(en.out.find("lang=\"en\""), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(g_artifacts + "/cockpit.png"));
}

TEST_F(BrowserTest, TracePageShowsAStatusBanner) {
  // Dose 4 travelled in the shipment whose logger read 12 C: quarantined.
  std::string code = TestNode::Dose(4);
  std::string enc;
  for (unsigned char c : code) {
    char buf[4];
    if (std::isalnum(c))
      enc.push_back(static_cast<char>(c));
    else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      enc += buf;
    }
  }
  HttpResponse api = node_->Call("GET", "/v1/trace/" + code);
  ChromeRun r = Chromium(base_ + "/t/" + enc, "--window-size=412,915 --screenshot=" + g_artifacts +
                                                  "/trace.png --dump-dom");
  ASSERT_EQ(r.rc, 0) << r.err.substr(0, 2000);
  const std::string& dom = r.out;
  EXPECT_NE(dom.find("data-ready=\"1\""), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(dom, m, std::regex("id=\"banner\"[^>]*data-status=\"([a-z_]+)\"")) ||
      std::regex_search(dom, m, std::regex("data-status=\"([a-z_]+)\"[^>]*id=\"banner\"")))
      << dom.substr(0, 3000);
  if (api.status == 200) {
    // The trace endpoint is here: the banner says what the API says, first.
    EXPECT_EQ(m[1].str(), "quarantined");
    EXPECT_NE(dom.find("已隔离"), std::string::npos);
    EXPECT_NE(dom.find("id=\"timeline\""), std::string::npos);
    EXPECT_NE(dom.find("id=\"ledger-line\""), std::string::npos);
    EXPECT_GE(Count(dom, "<canvas"), 1u) << "temperature chart";
  } else {
    // Not merged yet: the page explains instead of showing nothing.
    EXPECT_EQ(api.status, 404);
    EXPECT_EQ(m[1].str(), "unavailable");
    EXPECT_NE(dom.find("本节点暂不提供追溯查询"), std::string::npos);
  }
  EXPECT_EQ(ScriptErrors(r.err), "");
  EXPECT_TRUE(std::filesystem::exists(g_artifacts + "/trace.png"));

  // An unknown code: a plain "not found" (or "unavailable" before the merge).
  ChromeRun unknown = Chromium(base_ + "/t/NO-SUCH-CODE", "--dump-dom");
  ASSERT_EQ(unknown.rc, 0);
  EXPECT_TRUE(unknown.out.find("data-status=\"notfound\"") != std::string::npos ||
              unknown.out.find("data-status=\"unavailable\"") != std::string::npos)
      << unknown.out.substr(0, 2000);
}

}  // namespace
}  // namespace traceledger::api

int main(int argc, char** argv) {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(c)) {
      g_chromium = c;
      break;
    }
  }
  if (const char* env = std::getenv("TRACELEDGER_CHROMIUM")) g_chromium = env;
  if (g_chromium.empty()) {
    std::printf(
        "SKIPPED: chromium is not installed (apt-get install chromium, or run scripts/deps.sh); "
        "the browser test needs it\n");
    return 77;
  }
  g_artifacts = std::getenv("TRACELEDGER_ARTIFACTS") ? std::getenv("TRACELEDGER_ARTIFACTS")
                                                     : "browser-artifacts";
  std::filesystem::remove_all(g_artifacts);  // no stale screenshot passes for a new one
  std::filesystem::create_directories(g_artifacts);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
