// The public trace page (/t/{code}): one GET /v1/trace/{code}, then a status
// banner first, product and origin, the custody timeline, a temperature chart
// with the allowed band, documents, and where the record sits on the ledger.
// It reads the documented answer shape (docs/api.md) and tolerates missing
// parts; a 404 gets a plain explanation, never a blank page.
'use strict';
(function () {
  const TL = window.TL;
  // Category defaults when the answer does not carry the product's range.
  const DEFAULT_BANDS = { vaccine: [2, 8], drug: [2, 8], cold_chain_food: [null, -18] };
  let state = { kind: 'loading', data: null };

  function $(id) { return document.getElementById(id); }
  function codeFromUrl() {
    const raw = location.pathname.replace(/^\/t\//, '');
    try { return decodeURIComponent(raw); } catch (e) { return raw; }
  }
  function obj(v) { return v && typeof v === 'object' ? v : null; }
  function nameOf(v) {
    if (!v) return '';
    if (typeof v === 'string') return v;
    return v.name ? (v.uscc ? `${v.name} (${v.uscc})` : v.name) : (v.uscc || v.id || '');
  }
  function num(v) { return typeof v === 'number' && Number.isFinite(v) ? v : null; }

  // Normalises the answer: {item fields, events[], documents[], readings[], band, height, bureaus}.
  function normalise(d) {
    const item = obj(d.item) || d;
    const product = obj(item.product) || obj(d.product) || {};
    const category = item.category || product.category || '';
    const events = Array.isArray(d.events) ? d.events : (Array.isArray(item.events) ? item.events : []);
    const readings = [];
    const documents = Array.isArray(d.documents) ? d.documents.slice() : (Array.isArray(item.documents) ? item.documents.slice() : []);
    let lo = num(product.temp_min_c), hi = num(product.temp_max_c);
    const band = obj(d.temperature) || obj(item.temperature_range) || obj(product.temperature) || {};
    if (lo === null) lo = num(band.min_c); if (hi === null) hi = num(band.max_c);
    for (const e of events) {
      // /v1/trace gives an event's readings as {count, min_c, max_c, allowed, values: [...]}.
      const rd = obj(e.readings);
      const values = Array.isArray(e.readings) ? e.readings : (rd && Array.isArray(rd.values) ? rd.values : []);
      for (const r of values) {
        if (num(r.celsius) !== null && r.time) readings.push({ time: r.time, c: r.celsius });
      }
      const allowed = (rd && obj(rd.allowed)) || {};
      if (lo === null) lo = num(allowed.min_c); if (hi === null) hi = num(allowed.max_c);
      if (Array.isArray(e.documents)) for (const doc of e.documents) documents.push(doc);
      if ((e.type === 'trace.document' || e.doc_type) && e.doc_type) documents.push(e);
    }
    if (lo === null && hi === null && DEFAULT_BANDS[category]) [lo, hi] = DEFAULT_BANDS[category];
    readings.sort((a, b) => new Date(a.time) - new Date(b.time));
    // Ledger position and confirmations.
    const proof = obj(d.proof) || {};
    let height = num(d.height) || 0;
    for (const e of events) height = Math.max(height, num(e.height) || 0);
    for (const e of (proof.events || [])) height = Math.max(height, num(e.height) || 0);
    const bureaus = new Set();
    // /v1/trace gives the blocks' headers with their attestations as proof.blocks.
    const atts = [].concat(proof.attestations || [],
      ...[].concat(proof.blocks || [], proof.headers || []).map(h => h.attestations || []));
    for (const a of atts) if (a && a.node_id) bureaus.add(a.node_id);
    const origin = obj(item.origin) || {};
    return {
      code: item.code || d.code || codeFromUrl(),
      status: item.status || d.status || 'active',
      productName: product.name || item.product_name || (typeof item.product === 'string' ? item.product : ''),
      productCode: product.code || product.product_code || item.product_code || '',
      category,
      lot: item.lot || '', expiry: item.expiry || '',
      custodian: nameOf(item.custodian),
      originCountry: origin.country || item.origin_country || '',
      originMaker: nameOf(origin.commissioner || origin.producer || origin.enterprise || item.commissioner),
      originPlace: origin.location || '',
      events, readings, documents, lo, hi, height, bureaus: bureaus.size,
      head: d.chain_head || item.chain_head || item.head || '',
      recall: obj(d.recall) || obj(item.recall),
      warning: obj(d.warning)
    };
  }

  function bannerKind(n) {
    if (n.status === 'recalled' || (n.recall && n.recall.open !== false && n.status !== 'destroyed')) return 'recalled';
    if (n.status === 'quarantined') return 'quarantined';
    if (n.status === 'destroyed') return 'destroyed';
    if (n.status === 'dispensed') return 'dispensed';
    if (n.expiry) {
      const exp = new Date(n.expiry + (n.expiry.length === 10 ? 'T23:59:59' : ''));
      if (!Number.isNaN(exp.getTime()) && exp < new Date()) return 'expired';
    }
    if (n.status === 'in_transit') return 'in_transit';
    return 'safe';
  }

  function setBanner(kind, title, sub) {
    const b = $('banner');
    b.className = 'banner ' + kind;
    b.dataset.status = kind;
    $('banner-title').textContent = title;
    $('banner-sub').textContent = sub;
  }

  function eventName(type) {
    const k = 'ev_' + String(type || '').replace(/^(trace|regulator|product)\./, '').replace('.', '_');
    return TL.has(k) ? TL.t(k) : type;
  }

  function docName(t) { return TL.has('doc_' + t) ? TL.t('doc_' + t) : t; }

  function render() {
    document.title = TL.t('trace_title') + ' · traceledger';
    if (state.kind === 'loading') { setBanner('loading', TL.t('loading'), codeFromUrl()); return; }
    if (state.kind !== 'ok') {
      setBanner(state.kind, TL.t(state.kind === 'notfound' ? 'not_found' : state.kind),
        TL.t((state.kind === 'notfound' ? 'not_found' : state.kind) + '_sub'));
      $('content').innerHTML = `<div class="card"><div class="kv"><span class="k">${TL.esc(TL.t('code'))}</span><span class="v">${TL.esc(codeFromUrl())}</span></div>` +
        (state.message ? `<p class="muted">${TL.esc(state.message)}</p>` : '') + '</div>';
      document.body.dataset.ready = '1';
      return;
    }
    const n = normalise(state.data);
    const kind = bannerKind(n);
    // The answer's own warning (which recall, why, what to do) says more than
    // the generic line, when it is about what the banner shows.
    const w = n.warning && n.warning.status === kind ? n.warning : null;
    const said = w && (TL.lang === 'en' ? w.message : w.message_zh || w.message);
    setBanner(kind, TL.t('banner_' + kind), said || TL.t('banner_' + kind + '_sub'));
    const kv = (k, v) => v ? `<span class="k">${TL.esc(TL.t(k))}</span><span class="v">${TL.esc(v)}</span>` : '';
    const cat = n.category && TL.has('cat_' + n.category) ? TL.t('cat_' + n.category) : n.category;
    let html = `<div class="card"><div class="productname" id="product-name">${TL.esc(n.productName || n.productCode || n.code)}</div><div class="kv">` +
      kv('code', n.code) + kv('category', cat) + kv('lot', n.lot) + kv('expiry', n.expiry) + kv('custodian', n.custodian) + '</div></div>';
    if (n.originMaker || n.originCountry || n.originPlace) {
      html += `<div class="card"><h3>${TL.esc(TL.t('origin'))}</h3><div class="kv">` + kv('producer', n.originMaker) +
        kv('origin_country', n.originCountry) + kv('origin', n.originPlace) + '</div></div>';
    }
    html += `<div class="card"><h3>${TL.esc(TL.t('timeline'))}</h3><ul class="timeline" id="timeline">` +
      (n.events.slice().reverse().map(e => {
        // /v1/trace marks a reading outside the allowed range in e.readings.excursion.
        const excursion = e.excursion === true || (obj(e.readings) && e.readings.excursion === true);
        const bad = excursion || /quarantine|recall|destroy/.test(e.type || '');
        const who = nameOf(e.actor || e.signer || e.by);
        return `<li class="${bad ? 'bad' : ''}"><div class="what">${TL.esc(eventName(e.type))}` +
          (excursion ? `<span class="badge">${TL.esc(TL.t('excursion'))}</span>` : '') + '</div>' +
          (who ? `<div class="who">${TL.esc(who)}${e.location ? ' · ' + TL.esc(e.location) : ''}</div>` : '') +
          `<div class="when">${TL.esc(TL.time(e.time))}${e.recorded_at ? ' · ' + TL.esc(TL.t('recorded')) + ' ' + TL.esc(TL.time(e.recorded_at)) : ''}${e.height !== undefined ? ' · #' + TL.esc(e.height) : ''}</div></li>`;
      }).join('')) + '</ul></div>';
    html += `<div class="card"><h3>${TL.esc(TL.t('temperature'))}</h3>` +
      (n.readings.length ? `<div class="tchart" id="tchart"></div>` : `<div class="muted">${TL.esc(TL.t('no_readings'))}</div>`) +
      (n.lo !== null || n.hi !== null ? `<div class="muted">${TL.esc(TL.t('allowed_band'))}: ${n.lo !== null ? n.lo : '−∞'} … ${n.hi !== null ? n.hi : '+∞'} °C</div>` : '') + '</div>';
    html += `<div class="card"><h3>${TL.esc(TL.t('documents'))}</h3>` + (n.documents.length ? '<ul class="docs">' + n.documents.map(d =>
      `<li><div class="t">${TL.esc(docName(d.doc_type || d.type || ''))} · ${TL.esc(d.doc_id || d.id || '')}</div><div class="m">${TL.esc(nameOf(d.issuer))} ${d.sha256 ? 'sha256 ' + TL.esc(d.sha256) : ''}</div></li>`).join('') + '</ul>'
      : `<div class="muted">${TL.esc(TL.t('no_documents'))}</div>`) + '</div>';
    html += `<div class="card ledger" id="ledger-line">${TL.esc(TL.t('ledger_line', { h: n.height, k: n.bureaus }))}` +
      (n.head ? `<div class="hash">${TL.esc(TL.t('chain_head'))}: ${TL.esc(n.head)}</div>` : '') +
      `<div class="muted">${TL.esc(TL.t('verify_hint'))}</div></div>`;
    $('content').innerHTML = html;
    if (n.readings.length && TL.charts) drawTemperature(n);
    document.body.dataset.ready = '1';
  }

  function drawTemperature(n) {
    const c = window.echarts.init($('tchart'), null, { renderer: 'canvas' });
    const data = n.readings.map(r => [new Date(r.time).getTime(), r.c]);
    const vals = data.map(p => p[1]);
    const lo = n.lo !== null ? n.lo : Math.min(...vals) - 5, hi = n.hi !== null ? n.hi : Math.max(...vals) + 5;
    c.setOption({
      animation: false,
      grid: { left: 36, right: 14, top: 16, bottom: 28 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time', splitNumber: 4, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', name: '°C', min: v => Math.floor(Math.min(v.min, lo) - 2), max: v => Math.ceil(Math.max(v.max, hi) + 2) },
      visualMap: { show: false, dimension: 1, pieces: [{ gte: lo, lte: hi, color: '#1f7ae0' }], outOfRange: { color: '#e03b3b' } },
      series: [{ type: 'line', data, symbolSize: 7, lineStyle: { width: 2 },
        markArea: { silent: true, itemStyle: { color: 'rgba(19,163,110,.14)' }, data: [[{ yAxis: lo }, { yAxis: hi }]] },
        markLine: { silent: true, symbol: 'none', lineStyle: { color: '#13a36e', type: 'dashed' },
          label: { position: 'insideEndTop', color: '#13a36e', formatter: p => p.value + ' °C' },
          data: [n.lo !== null ? { yAxis: n.lo } : null, n.hi !== null ? { yAxis: n.hi } : null].filter(Boolean) } }]
    });
    window.addEventListener('resize', () => c.resize());
  }

  async function load() {
    const code = codeFromUrl();
    try {
      const r = await TL.getJson('/v1/trace/' + encodeURIComponent(code), 10000);
      if (r.status === 200 && r.body) state = { kind: 'ok', data: r.body };
      else if (r.status === 404) {
        const msg = r.body && r.body.error ? r.body.error.message : '';
        // The node answers "no such endpoint" when it has no trace lookup at all.
        state = { kind: /no such endpoint/.test(msg) ? 'unavailable' : 'notfound', message: msg };
      } else state = { kind: 'error', message: r.body && r.body.error ? r.body.error.message : 'HTTP ' + r.status };
    } catch (e) {
      state = { kind: 'error', message: String(e && e.message || e) };
    }
    render();
  }

  document.addEventListener('DOMContentLoaded', () => {
    TL.applyStatic();
    $('lang').addEventListener('click', () => { TL.toggleLang(); render(); });
    render();
    load();
  });
})();
