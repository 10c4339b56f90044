// The pages in a real browser (docs/api.md, "Pages"; run by ctest as
// browser_pages). A dev node (`tracenode --dev`) loaded with the demo histories
// (`tracectl demo-load`) serves the cockpit and trace pages; Debian's headless
// Chromium, driven by playwright-core from web/node_modules, opens them and we
// check what they show against the API (/v1/cockpit, /v1/trace/{code}), that
// no script error, console error, failed request or HTTP error happened, and
// keep screenshots in the artifacts directory.
//
//   node tests/browser/pages_test.js --bin DIR --web DIR --artifacts DIR
//     --bin        directory holding tracenode and tracectl
//     --web        the web/ directory (playwright-core is in its node_modules)
//     --artifacts  where screenshots and logs go (emptied first)
//   TRACELEDGER_CHROMIUM=PATH  another browser binary (default /usr/bin/chromium)
//
// Exits 77 (ctest SKIP_RETURN_CODE) with a message when Chromium is missing;
// 1 when a check fails; 0 when all pass. Every wait polls a condition with a
// generous deadline (a loaded 2-core machine), and a watchdog ends the run.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const WATCHDOG_MS = 150000;      // whole run (ctest's TIMEOUT is above it)
const START_MS = 30000;          // node up and leader
const LOAD_MS = 90000;           // demo-load
const PAGE_MS = 30000;           // one page to render its data

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const BIN = arg('bin', 'build/bin');
const WEB = arg('web', 'web');
const ARTIFACTS = arg('artifacts', 'build/browser-artifacts');
const CHROMIUM = process.env.TRACELEDGER_CHROMIUM ||
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => fs.existsSync(p));

if (!CHROMIUM || !fs.existsSync(CHROMIUM)) {
  console.log('SKIPPED: chromium is not installed (apt-get install chromium, or run ' +
    'scripts/deps.sh); the browser test needs it');
  process.exit(77);
}
let chromium;
try {
  ({ chromium } = require(path.resolve(WEB, 'node_modules', 'playwright-core')));
} catch (e) {
  console.log('FAILED: playwright-core is not installed in ' + path.resolve(WEB, 'node_modules') +
    ': run scripts/deps.sh (npm ci in web/)\n' + e.message);
  process.exit(1);
}

// ---- results ----
let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log('ok   ' + name); } else {
    failed++;
    console.log('FAIL ' + name + (detail !== undefined ? '\n     ' + String(detail).slice(0, 2000) : ''));
  }
}
function equal(name, got, want) { check(name, got === want, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`); }

// ---- the node ----
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-browser-'));
let node = null, browser = null;
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (node && node.exitCode === null) {
    const gone = new Promise(r => node.once('exit', r));
    node.kill('SIGTERM');
    await Promise.race([gone, new Promise(r => setTimeout(r, 10000))]);
    if (node.exitCode === null) node.kill('SIGKILL');
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
const watchdog = setTimeout(async () => {
  console.log(`FAIL the run did not finish within ${WATCHDOG_MS / 1000} s`);
  await cleanup();
  process.exit(1);
}, WATCHDOG_MS);

// Polls `probe` (async, returns a value or a falsy one) until it yields or the deadline passes.
async function until(what, ms, probe) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try { last = await probe(); if (last) return last; } catch (e) { last = e.message; }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms / 1000} s (last: ${last})`);
}

function run(cmd, args, ms) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', d => { out += d; });
    p.stderr.on('data', d => { out += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', code => { clearTimeout(t); resolve({ code, out }); });
  });
}

async function getJson(base, p) {
  const r = await fetch(base + p);
  return { status: r.status, body: await r.json() };
}

async function startNode() {
  let log = '';
  node = spawn(path.join(BIN, 'tracenode'), ['--dev', '--data', tmp, '--http', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  node.stdout.on('data', d => { log += d; });
  node.stderr.on('data', d => { log += d; });
  node.on('exit', () => fs.writeFileSync(path.join(ARTIFACTS, 'node.log'), log));
  const base = await until('tracenode serving', START_MS, async () => {
    if (node.exitCode !== null) throw new Error('tracenode exited: ' + log);
    const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(log);
    return m && m[1];
  });
  await until('a leader', START_MS, async () => (await getJson(base, '/v1/status')).body.role === 'leader');
  return base;
}

// Demo histories; returns {label: code} from the summary's "Codes to look up".
async function loadDemo(base) {
  const r = await run(path.join(BIN, 'tracectl'), ['demo-load', '--node', base, '--regulator',
    path.join(tmp, 'regulator.json'), '--keys', path.join(tmp, 'demo-keys'), '--quiet'], LOAD_MS);
  fs.writeFileSync(path.join(ARTIFACTS, 'demo-load.log'), r.out);
  if (r.code !== 0) throw new Error('tracectl demo-load failed (exit ' + r.code + '):\n' + r.out.slice(-3000));
  const codes = {};
  const part = r.out.split('Codes to look up')[1] || '';
  for (const line of part.split('\n').slice(1)) {
    const m = /^ {2}(.+?)\s{2,}(\S+)$/.exec(line);
    if (!m) break;
    codes[m[1]] = m[2];
  }
  return codes;
}

// ---- the browser ----
// A page whose problems are collected: script errors, console errors, failed
// requests, HTTP errors. `allow` lists the URLs (regexps) expected to answer 4xx.
async function openPage(url, viewport, allow = []) {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(PAGE_MS);
  const problems = [];
  const allowed = u => allow.some(re => re.test(u));
  page.on('pageerror', e => problems.push('page error: ' + e.message));
  page.on('console', m => {
    if (m.type() !== 'error') return;
    // Chromium reports an HTTP error status of a resource on the console too.
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) &&
        allowed(m.location().url || '')) return;
    problems.push('console error: ' + m.text() + ' @ ' + (m.location().url || ''));
  });
  page.on('requestfailed', r => problems.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  page.on('response', r => {
    if (r.status() >= 400 && !allowed(r.url())) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: PAGE_MS });
  try {
    await page.waitForSelector('body[data-ready="1"]', { timeout: PAGE_MS });
  } catch (e) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'not-ready.png') }).catch(() => {});
    throw new Error(`${url} never rendered its data (body[data-ready]); ${problems.length} ` +
      `problem(s):\n${problems.join('\n')}\n${e.message}`);
  }
  return { page, problems };
}
const text = (page, sel) => page.$eval(sel, e => e.textContent.trim());
const digits = s => s.replace(/[^0-9]/g, '');

async function canary() {
  // The collector itself: a page with a broken script must be caught.
  const page = await browser.newPage();
  const seen = [];
  page.on('pageerror', e => seen.push(e.message));
  page.on('console', m => { if (m.type() === 'error') seen.push(m.text()); });
  await page.setContent('<script>console.error("canary"); window.noSuchFunction();</script>');
  await until('canary errors', 10000, async () => seen.length >= 2);
  check('the error collector sees a broken script and a console error', seen.length >= 2, seen);
  await page.close();
}

async function cockpit(base) {
  const before = (await getJson(base, '/v1/cockpit')).body;
  const { page, problems } = await openPage(base + '/', { width: 1920, height: 1080 });
  await page.waitForFunction(() => document.querySelectorAll('canvas').length >= 5, null, { timeout: PAGE_MS });
  const after = (await getJson(base, '/v1/cockpit')).body;
  const kpis = [['kpi-items', d => d.items.total], ['kpi-alerts', d => d.alerts.open],
    ['kpi-quarantined', d => d.quarantined_items], ['kpi-recalls', d => d.recalls.open],
    ['kpi-shipments', d => d.shipments.open], ['kpi-overdue', d => d.shipments.overdue]];
  for (const [id, get] of kpis) {
    equal(`cockpit #${id} is the API's number`, digits(await text(page, '#' + id)), String(get(after)));
  }
  check('the demo made items, alerts and a recall', after.items.total > 0 &&
    (after.alerts.newest || []).length > 0 && (after.recalls.list || []).length > 0,
    JSON.stringify(after).slice(0, 500));
  const shown = Number(digits(await text(page, '#ledger-height')));
  check('cockpit height is between the API heights before and after', shown >= before.height &&
    shown <= after.height, `${before.height} <= ${shown} <= ${after.height}`);
  const alertsText = await text(page, '#alerts');
  for (const a of (after.alerts.newest || []).slice(0, 3)) {
    check(`newest alert "${a.subject}" is listed`, alertsText.includes(a.message_zh || a.subject), alertsText.slice(0, 300));
  }
  const recallsText = await text(page, '#recalls');
  for (const r of (after.recalls.list || []).slice(0, 5)) {
    check(`recall ${r.recall_id} progress is shown`, recallsText.includes(r.recall_id) &&
      recallsText.includes(Math.round((r.progress || 0) * 100) + '%'), recallsText.slice(0, 300));
  }
  // A card per programme, "other" included, each with the API's item count,
  // and the events chart stacks them all (it adds up to the headline).
  const cards = await page.$$eval('[data-programme]', els => els.map(e =>
    [e.dataset.programme, e.querySelector('.big').textContent.replace(/[^0-9]/g, '')]));
  equal('a programme card for each of the API\'s programmes',
    JSON.stringify(cards.map(c => c[0]).sort()), JSON.stringify(Object.keys(after.programmes).sort()));
  for (const [p, n] of cards) equal(`programme ${p}: the API's item count`, n, String(after.programmes[p].items));
  const stacked = await page.evaluate(() =>
    window.echarts.getInstanceByDom(document.getElementById('chart-events')).getOption().series.length);
  equal('the events chart stacks every programme', stacked, Object.keys(after.programmes).length);
  // Enterprises by region: district codes counted in their city (330106 in
  // Hangzhou), every enterprise of the API's by_region in some bar.
  const regionChart = await page.evaluate(() => {
    const o = window.echarts.getInstanceByDom(document.getElementById('chart-region')).getOption();
    return { names: o.xAxis[0].data, values: o.series[0].data };
  });
  const apiRegions = after.enterprises.by_region || {};
  const apiTotal = Object.values(apiRegions).reduce((a, b) => a + b, 0);
  check('the region chart holds every enterprise of by_region', apiTotal > 0 &&
    regionChart.values.reduce((a, b) => a + b, 0) === apiTotal,
    `${JSON.stringify(regionChart)} api ${JSON.stringify(apiRegions)}`);
  check('the region chart names cities, not Zhejiang district codes',
    regionChart.names.length > 0 && regionChart.names.every(n => !/^33\d{4}$/.test(n)) &&
    new Set(regionChart.names).size === regionChart.names.length, JSON.stringify(regionChart.names));
  check('ECharts is bundled', !(await page.content()).includes('ECharts not bundled'));
  await page.screenshot({ path: path.join(ARTIFACTS, 'cockpit.png') });
  equal('no errors on the cockpit', problems.join('\n'), '');
  await page.close();

  const en = await openPage(base + '/?lang=en', { width: 1920, height: 1080 });
  equal('English cockpit: <html lang>', await en.page.getAttribute('html', 'lang'), 'en');
  check('English cockpit: labels in English', (await en.page.content()).includes('Open alerts'));
  await en.page.screenshot({ path: path.join(ARTIFACTS, 'cockpit-en.png') });
  equal('no errors on the English cockpit', en.problems.join('\n'), '');
  await en.page.close();
}

// What the banner must say (web/trace.js, bannerKind): the answer's warning
// first, then its status; a dispensed item by how it left circulation.
function expectedBanner(d) {
  if (d.warning) return d.warning.status;
  const s = d.status;
  if (['recalled', 'quarantined', 'destroyed'].includes(s)) return s;
  if (s === 'dispensed') return d.terminal === 'transformed' ? 'transformed' : 'dispensed';
  if (d.expired) return 'expired';
  if (s === 'in_transit') return d.shipment && d.shipment.overdue ? 'overdue' : 'in_transit';
  return 'safe';
}

async function tracePage(base, label, code, shot) {
  const api = await getJson(base, '/v1/trace/' + encodeURIComponent(code));
  equal(`${label}: /v1/trace answers`, api.status, 200);
  if (api.status !== 200) return;
  const d = api.body;
  const { page, problems } = await openPage(base + '/t/' + encodeURIComponent(code), { width: 412, height: 915 });
  equal(`${label}: banner says "${expectedBanner(d)}" (status ${d.status})`,
    await page.getAttribute('#banner', 'data-status'), expectedBanner(d));
  if (d.warning) {
    equal(`${label}: the banner gives the answer's warning`, await text(page, '#banner-sub'),
      d.warning.message_zh);
  }
  // The timeline lists the API's events, newest first, each with its height.
  const shownHeights = await page.$$eval('#timeline li .when', els => els.map(e => {
    const m = /#(\d+)\s*$/.exec(e.textContent);
    return m ? Number(m[1]) : null;
  }));
  // The item's events and its lot's, in ledger order.
  const own = new Set((d.events || []).map(e => e.tx_id));  // a lot recall is in both chains
  const apiEvents = (d.events || []).concat((d.lot_events || []).filter(e => !own.has(e.tx_id)))
    .sort((a, b) => (a.height - b.height) || (a.index - b.index));
  const apiHeights = apiEvents.map(e => e.height).reverse();
  check(`${label}: the timeline is the API's ${apiHeights.length} item and lot events, newest first`,
    apiHeights.length > 0 && JSON.stringify(shownHeights) === JSON.stringify(apiHeights),
    `page ${JSON.stringify(shownHeights)} api ${JSON.stringify(apiHeights)}`);
  // Readings outside the allowed range are marked on the timeline.
  const badged = await page.$$eval('#timeline li', els => els.map(e => !!e.querySelector('.badge')));
  const apiExcursions = apiEvents.map(e => !!(e.readings && e.readings.excursion)).reverse();
  check(`${label}: the timeline marks the API's ${apiExcursions.filter(Boolean).length} excursion(s)`,
    JSON.stringify(badged) === JSON.stringify(apiExcursions), `page ${badged} api ${apiExcursions}`);
  // Alerts about the item are listed; what it was made from or into is linked.
  for (const a of d.alerts || []) {
    const shown = a.message_zh || a.message;  // the page is in zh-CN
    check(`${label}: alert ${a.id} is listed`, (await text(page, '#alerts')).includes(shown), shown);
  }
  const lin = d.lineage || {};
  const linked = [].concat(lin.parent ? [lin.parent] : [], (lin.made_from || {}).inputs || [],
    (lin.transformed_into || {}).outputs || []).slice(0, 3);
  if (linked.length) {
    const hrefs = await page.$$eval('#lineage a', els => els.map(e => decodeURIComponent(e.getAttribute('href'))));
    check(`${label}: lineage links ${linked.join(', ')}`, linked.every(c => hrefs.includes('/t/' + c)), JSON.stringify(hrefs));
  }
  if ((d.origin || {}).imported) {
    check(`${label}: the origin says imported from ${d.origin.origin_country}`,
      (await page.content()).includes(`(${d.origin.origin_country})`));
  }
  // "Recorded at height N, confirmed by K bureaus": N the newest event's
  // block, K the validators whose attestations the proof carries.
  const maxHeight = Math.max(...apiEvents.map(e => e.height || 0));
  const bureaus = new Set([].concat(...((d.proof || {}).blocks || []).map(b => b.attestations || []))
    .map(a => a.node_id)).size;
  const line = await text(page, '#ledger-line');
  const nums = (line.match(/\d+/g) || []).map(Number);
  check(`${label}: the ledger line says height ${maxHeight}, ${bureaus} bureau(s)`, bureaus > 0 &&
    nums[0] === maxHeight && nums[1] === bureaus, line);
  const hasReadings = (d.events || []).some(e => e.readings && (e.readings.values || []).length);
  if (hasReadings) {
    await page.waitForSelector('#tchart canvas', { timeout: PAGE_MS });
    check(`${label}: a temperature chart`, true);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
  equal(`no errors on the ${label} page`, problems.join('\n'), '');
  await page.close();
}

// What a phone does with the QR code on a pack: open its GS1 Digital Link.
// The browser lands on the item's trace page, not on JSON.
async function digitalLink(base, code) {
  const m = /^\(01\)(\d{14})\(21\)(.+)$/.exec(code);
  check(`a GS1 item code to link to: ${code}`, !!m);
  if (!m) return;
  const { page, problems } = await openPage(`${base}/01/${m[1]}/21/${encodeURIComponent(m[2])}`,
    { width: 412, height: 915 });
  equal('a Digital Link opens the trace page', decodeURIComponent(new URL(page.url()).pathname),
    '/t/' + code);
  check('the trace page shows the item', (await text(page, '#content')).includes(code));
  equal('no errors after the Digital Link', problems.join('\n'), '');
  await page.close();
}

async function unknownCode(base) {
  const { page, problems } = await openPage(base + '/t/NO-SUCH-CODE', { width: 412, height: 915 },
    [/\/v1\/trace\/NO-SUCH-CODE$/]);
  equal('unknown code: a plain "not found" banner', await page.getAttribute('#banner', 'data-status'), 'notfound');
  equal('no other errors on the not-found page', problems.join('\n'), '');
  await page.close();
}

async function main() {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });  // no stale screenshot passes
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const t0 = Date.now();
  const base = await startNode();
  const codes = await loadDemo(base);
  console.log(`node ${base} with the demo histories in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  browser = await chromium.launch({ executablePath: CHROMIUM, timeout: START_MS,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  console.log(`browser ${browser.version()} (playwright-core ${require(path.resolve(WEB,
    'node_modules', 'playwright-core', 'package.json')).version})`);
  await canary();
  await cockpit(base);
  const pages = [['vaccine dose (excursion, released)', 'trace-vaccine.png'],
    ['salad pack (returned in the recall)', 'trace-recalled.png'],
    ['shrimp box (at the distributor)', 'trace-shrimp.png'],
    ['salad pack (sold before the recall)', 'trace-sold-recalled.png'],
    ['lettuce crate (transformed)', 'trace-transformed.png']];
  for (const [label, shot] of pages) {
    check(`demo-load names a "${label}"`, !!codes[label], JSON.stringify(codes));
    if (codes[label]) await tracePage(base, label, codes[label], shot);
  }
  await digitalLink(base, codes['vaccine dose (excursion, released)'] || '');
  await unknownCode(base);
  console.log(`screenshots in ${path.resolve(ARTIFACTS)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch(e => check('the run', false, e.stack || e)).finally(async () => {
  await cleanup();
  clearTimeout(watchdog);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
});
