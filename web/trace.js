// The public trace page (/t/{code}): one GET /v1/trace/{code}, then a status
// banner first, product and origin, where it is going (in transit), alerts,
// the custody timeline (the item's and its lot's events), what it was made
// from or into, a temperature chart per device with the allowed band,
// documents, and where the record sits on the ledger. It reads the answer as
// docs/api.md ("Trace") documents it; a 404 gets a plain explanation, never
// a blank page.
'use strict';
(function () {
  const TL = window.TL;
  // Category defaults when neither the product nor a reading states a range.
  const DEFAULT_BANDS = { vaccine: [2, 8], drug: [2, 8], cold_chain_food: [null, -18] };
  // How a dispensed item left circulation (answer.terminal) -> banner strings.
  const TERMINAL_BANNERS = {
    sold: 'sold', administered: 'administered', consumed: 'consumed', transformed: 'transformed'
  };
  let state = { kind: 'loading', data: null };

  function $(id) { return document.getElementById(id); }
  function codeFromUrl() {
    const raw = location.pathname.replace(/^\/t\//, '');
    try { return decodeURIComponent(raw); } catch (e) { return raw; }
  }
  function obj(v) { return v && typeof v === 'object' && !Array.isArray(v) ? v : null; }
  function arr(v) { return Array.isArray(v) ? v : []; }
  function num(v) { return typeof v === 'number' && Number.isFinite(v) ? v : null; }
  // A party {uscc, name, region} as "name (USCC)".
  function nameOf(v) {
    if (!v) return '';
    if (typeof v === 'string') return v;
    return v.name ? (v.uscc ? `${v.name} (${v.uscc})` : v.name) : (v.uscc || '');
  }
  function country(iso) {
    if (!iso) return '';
    try {
      const n = new Intl.DisplayNames([TL.lang], { type: 'region' }).of(iso);
      return n && n !== iso ? `${n} (${iso})` : iso;
    } catch (e) { return iso; }
  }
  function codeLink(code) {
    return `<a href="/t/${encodeURIComponent(code)}">${TL.esc(code)}</a>`;
  }

  // The answer, as the page uses it.
  function normalise(d) {
    const product = obj(d.product) || {};
    const category = d.category || product.category || '';
    // A lot recall or inspection is in the lot's chain and in each affected
    // code's chain: show it once.
    const own = new Set(arr(d.events).map(e => e.tx_id));
    const lotEvents = arr(d.lot_events).filter(e => !own.has(e.tx_id))
      .map(e => Object.assign({ lotEvent: true }, e));
    // One timeline: the item's events and its lot's, in ledger order.
    const events = arr(d.events).concat(lotEvents)
      .sort((a, b) => (a.height - b.height) || (a.index - b.index));
    let lo = num(product.temp_min_c), hi = num(product.temp_max_c);
    const devices = new Map();  // device -> [{time, c}]
    for (const e of events) {
      const rd = obj(e.readings);
      if (!rd) continue;
      const allowed = obj(rd.allowed) || {};
      if (lo === null && hi === null) { lo = num(allowed.min_c); hi = num(allowed.max_c); }
      const key = rd.device || '—';
      if (!devices.has(key)) devices.set(key, []);
      for (const r of arr(rd.values)) {
        if (num(r.celsius) !== null && r.time) devices.get(key).push({ time: r.time, c: r.celsius });
      }
    }
    if (lo === null && hi === null && DEFAULT_BANDS[category]) [lo, hi] = DEFAULT_BANDS[category];
    for (const list of devices.values()) list.sort((a, b) => new Date(a.time) - new Date(b.time));
    // Ledger position and confirmations: the newest event's block, and the
    // validators whose attestations the proof carries.
    let height = 0;
    for (const e of events) height = Math.max(height, num(e.height) || 0);
    const bureaus = new Set();
    for (const b of arr((obj(d.proof) || {}).blocks)) {
      for (const a of arr(b.attestations)) if (a && a.node_id) bureaus.add(a.node_id);
    }
    const origin = obj(d.origin) || {};
    const lotInfo = obj(d.lot_info) || {};
    const chain = obj(d.chain) || {};
    return {
      code: d.code || codeFromUrl(),
      status: d.status || 'active',
      terminal: d.terminal || null,
      expired: d.expired === true,
      warning: obj(d.warning),
      productName: product.name || '', productCode: product.code || '',
      category, lot: d.lot || '', expiry: d.expiry || '',
      inspection: d.inspection || lotInfo.inspection || null,
      inspectionReport: lotInfo.inspection_report || '',
      custodian: nameOf(d.custodian),
      shipment: obj(d.shipment),
      originMaker: nameOf(origin.commissioner),
      imported: origin.imported === true,
      originCountry: origin.origin_country || '',
      originPlace: origin.location || '',
      alerts: arr(d.alerts),
      lineage: obj(d.lineage) || {},
      events, devices, documents: arr(d.documents), lo, hi, height, bureaus: bureaus.size,
      head: chain.head || '',
      shownEvents: arr(d.events).length, totalEvents: num(chain.event_count),
      recall: obj(d.recall)
    };
  }

  // What the banner shows (its data-status): the answer's own warning first.
  function bannerKind(n) {
    if (n.warning && n.warning.status) return n.warning.status;
    if (n.status === 'recalled' || n.status === 'quarantined' || n.status === 'destroyed') return n.status;
    // (A returned item's status is "recalled", a destroyed one's "destroyed".)
    if (n.status === 'dispensed') return n.terminal === 'transformed' ? 'transformed' : 'dispensed';
    if (n.expired) return 'expired';
    if (n.status === 'in_transit') return n.shipment && n.shipment.overdue ? 'overdue' : 'in_transit';
    return 'safe';
  }
  // The banner's words for `kind`: dispensed says how (sold, administered, used).
  function bannerWords(n, kind) {
    const w = n.warning && n.warning.status === kind ? n.warning : null;
    const said = w && (TL.lang === 'en' ? w.message : w.message_zh || w.message);
    const k = kind === 'dispensed' && TERMINAL_BANNERS[n.terminal] ? TERMINAL_BANNERS[n.terminal] : kind;
    return [TL.t('banner_' + k), said || TL.t('banner_' + k + '_sub')];
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
  function alertName(t) { return TL.has('kind_' + t) ? TL.t('kind_' + t) : t; }

  // One timeline entry.
  function eventItem(e) {
    const rd = obj(e.readings);
    const body = obj(e.body) || {};
    const parties = obj(e.parties) || {};
    const excursion = !!(rd && rd.excursion === true);
    const bad = excursion || /quarantine|recall|destroy/.test(e.type || '');
    const details = [];
    if (parties.to) details.push('→ ' + nameOf(parties.to));
    if (parties.carrier) details.push(TL.t('carrier') + ' ' + nameOf(parties.carrier));
    if (body.vehicle) details.push(body.vehicle);
    if (rd && num(rd.min_c) !== null) {
      details.push(`${rd.device ? rd.device + ' ' : ''}${rd.min_c} … ${rd.max_c} °C`);
    }
    if (body.kind && e.type === 'trace.dispense') {
      details.push(TL.has('terminal_' + body.kind) ? TL.t('terminal_' + body.kind) : body.kind);
    }
    if (body.reason) details.push(TL.t('reason') + ': ' + body.reason);
    if (e.type === 'trace.inspect' && body.result) {
      details.push((TL.has('inspection_' + body.result) ? TL.t('inspection_' + body.result) : body.result) +
        (body.report_id ? ' · ' + body.report_id : ''));
    }
    if (e.type === 'trace.document' && body.doc_type) {
      details.push(docName(body.doc_type) + (body.doc_id ? ' · ' + body.doc_id : ''));
    }
    const who = nameOf(e.actor);
    return `<li class="${bad ? 'bad' : ''}"><div class="what">${TL.esc(eventName(e.type))}` +
      (e.lotEvent ? `<span class="lottag">${TL.esc(TL.t('lot_event'))}</span>` : '') +
      (excursion ? `<span class="badge">${TL.esc(TL.t('excursion'))}</span>` : '') + '</div>' +
      (who ? `<div class="who">${TL.esc(who)}${e.location ? ' · ' + TL.esc(e.location) : ''}</div>` : '') +
      (details.length ? `<div class="detail">${TL.esc(details.join(' · '))}</div>` : '') +
      `<div class="when">${TL.esc(TL.time(e.time))}${e.recorded_at ? ' · ' + TL.esc(TL.t('recorded')) + ' ' + TL.esc(TL.time(e.recorded_at)) : ''}${e.height !== undefined ? ' · #' + TL.esc(e.height) : ''}</div></li>`;
  }

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
    const [title, sub] = bannerWords(n, kind);
    setBanner(kind, title, sub);
    const kv = (k, v) => v ? `<span class="k">${TL.esc(TL.t(k))}</span><span class="v">${TL.esc(v)}</span>` : '';
    const cat = n.category && TL.has('cat_' + n.category) ? TL.t('cat_' + n.category) : n.category;
    const inspection = n.inspection ? (TL.has('inspection_' + n.inspection) ? TL.t('inspection_' + n.inspection) : n.inspection) +
      (n.inspectionReport ? ' · ' + n.inspectionReport : '') : '';
    let html = `<div class="card"><div class="productname" id="product-name">${TL.esc(n.productName || n.productCode || n.code)}</div><div class="kv">` +
      kv('code', n.code) + kv('category', cat) + kv('lot', n.lot) + kv('expiry', n.expiry) + kv('inspection', inspection) +
      kv('custodian', n.custodian) + '</div></div>';
    if (n.shipment) {
      const s = n.shipment;
      html += `<div class="card" id="shipment"><h3>${TL.esc(TL.t(s.overdue ? 'shipment_overdue' : 'shipment'))}</h3><div class="kv">` +
        kv('ship_from', nameOf(s.from)) + kv('ship_to', nameOf(s.to)) + kv('carrier', nameOf(s.carrier)) +
        kv('vehicle', s.vehicle) + kv('shipped_at', TL.time(s.shipped_at)) + kv('deadline', TL.time(s.deadline)) + '</div></div>';
    }
    if (n.originMaker || n.originCountry || n.originPlace) {
      html += `<div class="card"><h3>${TL.esc(TL.t('origin'))}</h3><div class="kv">` + kv('producer', n.originMaker) +
        kv('origin_country', n.imported ? TL.t('imported') + (n.originCountry ? ' · ' + country(n.originCountry) : '') : '') +
        kv('origin_place', n.originPlace) + '</div></div>';
    }
    if (n.alerts.length) {
      html += `<div class="card" id="alerts"><h3>${TL.esc(TL.t('alerts'))}</h3><ul class="alertlist">` + n.alerts.map(a =>
        `<li class="${a.status === 'open' ? 'open' : ''}"><div class="t">${TL.esc(alertName(a.type))} · ${TL.esc(TL.t(a.status === 'open' ? 'open' : 'closed'))}</div>` +
        `<div class="m">${TL.esc((TL.lang === 'en' ? '' : a.message_zh) || a.message || a.subject || '')}</div><div class="muted">${TL.esc(TL.time(a.raised_at))}</div></li>`).join('') + '</ul></div>';
    }
    html += `<div class="card"><h3>${TL.esc(TL.t('timeline'))}</h3><ul class="timeline" id="timeline">` +
      n.events.slice().reverse().map(eventItem).join('') + '</ul>' +
      (n.totalEvents !== null && n.totalEvents > n.shownEvents
        ? `<div class="muted">${TL.esc(TL.t('events_shown', { n: n.shownEvents, m: n.totalEvents }))}</div>` : '') + '</div>';
    const lin = n.lineage;
    const made = obj(lin.made_from), into = obj(lin.transformed_into);
    if (lin.parent || arr(lin.children).length || made || into) {
      html += `<div class="card" id="lineage"><h3>${TL.esc(TL.t('lineage'))}</h3><div class="kv">` +
        (lin.parent ? `<span class="k">${TL.esc(TL.t('packed_in'))}</span><span class="v">${codeLink(lin.parent)}</span>` : '') +
        (arr(lin.children).length ? `<span class="k">${TL.esc(TL.t('contains'))}</span><span class="v">${TL.esc(TL.t('n_items', { n: lin.children_total || lin.children.length }))}: ` +
          arr(lin.children).slice(0, 5).map(codeLink).join(', ') + (arr(lin.children).length > 5 ? ' …' : '') + '</span>' : '') +
        (made ? `<span class="k">${TL.esc(TL.t('made_from'))}</span><span class="v">` + arr(made.inputs).slice(0, 5).map(codeLink).join(', ') +
          (arr(made.inputs).length > 5 || (made.inputs_total || 0) > 5 ? ' …' : '') + '</span>' : '') +
        (into ? `<span class="k">${TL.esc(TL.t('made_into'))}</span><span class="v">${TL.esc(TL.t('n_items', { n: into.outputs_total || arr(into.outputs).length }))}` +
          (into.output_lot ? ' · ' + TL.esc(TL.t('lot')) + ' ' + TL.esc(into.output_lot) : '') + ': ' +
          arr(into.outputs).slice(0, 3).map(codeLink).join(', ') + (arr(into.outputs).length > 3 ? ' …' : '') + '</span>' : '') +
        '</div></div>';
    }
    const readingCount = [...n.devices.values()].reduce((a, l) => a + l.length, 0);
    html += `<div class="card"><h3>${TL.esc(TL.t('temperature'))}</h3>` +
      (readingCount ? `<div class="tchart" id="tchart"></div>` : `<div class="muted">${TL.esc(TL.t('no_readings'))}</div>`) +
      (n.lo !== null || n.hi !== null ? `<div class="muted">${TL.esc(TL.t('allowed_band'))}: ${n.lo !== null ? n.lo : '−∞'} … ${n.hi !== null ? n.hi : '+∞'} °C</div>` : '') + '</div>';
    html += `<div class="card"><h3>${TL.esc(TL.t('documents'))}</h3>` + (n.documents.length ? '<ul class="docs">' + n.documents.map(d =>
      `<li><div class="t">${TL.esc(docName(d.doc_type || ''))} · ${TL.esc(d.doc_id || '')}</div><div class="m">${TL.esc(nameOf(d.issuer))} ${d.sha256 ? 'sha256 ' + TL.esc(d.sha256) : ''}</div></li>`).join('') + '</ul>'
      : `<div class="muted">${TL.esc(TL.t('no_documents'))}</div>`) + '</div>';
    html += `<div class="card ledger" id="ledger-line">${TL.esc(TL.t(n.bureaus === 1 ? 'ledger_line_one' : 'ledger_line', { h: n.height, k: n.bureaus }))}` +
      (n.head ? `<div class="hash">${TL.esc(TL.t('chain_head'))}: ${TL.esc(n.head)}</div>` : '') +
      `<div class="muted">${TL.esc(TL.t('verify_hint'))}</div></div>`;
    $('content').innerHTML = html;
    if (readingCount && TL.charts) drawTemperature(n);
    document.body.dataset.ready = '1';
  }

  // One line per device (a truck's logger and a fridge are different
  // places); the allowed band shaded only when a range is known.
  function drawTemperature(n) {
    const c = window.echarts.init($('tchart'), null, { renderer: 'canvas' });
    const all = [...n.devices.values()].flat().map(r => r.c);
    const lo = n.lo, hi = n.hi;
    const band = lo !== null || hi !== null;
    const bandLo = lo !== null ? lo : Math.min(...all) - 5, bandHi = hi !== null ? hi : Math.max(...all) + 5;
    const series = [...n.devices.entries()].map(([device, list], i) => {
      const outside = r => (lo !== null && r.c < lo) || (hi !== null && r.c > hi);
      const s = { type: 'line', name: device, symbolSize: 7, lineStyle: { width: 2 },
        data: list.map(r => ({ value: [new Date(r.time).getTime(), r.c], itemStyle: outside(r) ? { color: '#e03b3b' } : undefined })) };
      if (i === 0 && band) {
        s.markArea = { silent: true, itemStyle: { color: 'rgba(19,163,110,.14)' }, data: [[{ yAxis: bandLo }, { yAxis: bandHi }]] };
        s.markLine = { silent: true, symbol: 'none', lineStyle: { color: '#13a36e', type: 'dashed' },
          label: { position: 'insideEndTop', color: '#13a36e', formatter: p => p.value + ' °C' },
          data: [lo !== null ? { yAxis: lo } : null, hi !== null ? { yAxis: hi } : null].filter(Boolean) };
      }
      return s;
    });
    c.setOption({
      animation: false,
      grid: { left: 36, right: 14, top: n.devices.size > 1 ? 34 : 16, bottom: 28 },
      legend: n.devices.size > 1 ? { top: 0, type: 'scroll' } : undefined,
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time', splitNumber: 4, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', name: '°C', min: v => Math.floor(Math.min(v.min, band ? bandLo : v.min) - 2), max: v => Math.ceil(Math.max(v.max, band ? bandHi : v.max) + 2) },
      series
    });
    window.addEventListener('resize', () => c.resize());
  }

  async function load() {
    const code = codeFromUrl();
    try {
      const r = await TL.getJson('/v1/trace/' + encodeURIComponent(code), 10000);
      if (r.status === 200 && r.body) state = { kind: 'ok', data: r.body };
      else if (r.status === 404) {
        state = { kind: 'notfound', message: r.body && r.body.error ? r.body.error.message : '' };
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
