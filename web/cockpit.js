// The cockpit page: polls GET /v1/cockpit every few seconds and draws the
// numbers, ECharts charts, newest alerts, recall progress and cluster health.
'use strict';
(function () {
  const TL = window.TL;
  const REFRESH_MS = 3000;
  const PROGS = ['vaccine', 'cold_chain', 'food'];
  // The programmes and `other` (drugs, and registry transactions of no
  // programme): the cards and the chart add up to the headline numbers.
  const ALL_PROGS = PROGS.concat(['other']);
  const COLORS = { vaccine: '#35d0ba', cold_chain: '#4fa3ff', food: '#ffb547', other: '#8a7dff' };
  const STATUSES = ['active', 'in_transit', 'quarantined', 'recalled', 'dispensed', 'destroyed'];
  const STATUS_COLORS = ['#35d0ba', '#4fa3ff', '#ff5b5b', '#b078ff', '#8fb8f5', '#6b7a90'];
  const KIND_COLORS = { temperature_excursion: '#ff5b5b', overdue_shipment: '#ffb547', inspection_failed: '#ff78c8', recall: '#b078ff' };
  let last = null;
  let failures = 0;
  const charts = {};

  function $(id) { return document.getElementById(id); }
  function chart(id) {
    if (!TL.charts) {
      const el = $(id);
      if (el && !el.firstChild) el.innerHTML = '<div class="nochart">ECharts not bundled</div>';
      return null;
    }
    if (!charts[id]) charts[id] = window.echarts.init($(id), null, { renderer: 'canvas' });
    return charts[id];
  }
  const axisStyle = { axisLine: { lineStyle: { color: '#3d5f94' } }, axisLabel: { color: '#8fb8f5' }, splitLine: { lineStyle: { color: 'rgba(80,160,255,.12)' } } };

  function setKpi(id, v, boxId, level) {
    $(id).textContent = TL.num(v);
    if (boxId) {
      const box = $(boxId);
      box.classList.remove('warn', 'bad');
      if (v > 0 && level) box.classList.add(level);
    }
  }

  function interval(s) {
    if (!s) return '–';
    return s < 1 ? Math.round(s * 1000) + ' ms' : s.toFixed(1) + ' ' + TL.t('seconds');
  }

  function kindName(k) { return TL.has('kind_' + k) ? TL.t('kind_' + k) : k; }

  function render(d) {
    last = d;
    setKpi('kpi-items', d.items.total);
    setKpi('kpi-events-day', d.events.last_day);
    setKpi('kpi-events-hour', d.events.last_hour);
    setKpi('kpi-shipments', d.shipments.open);
    setKpi('kpi-overdue', d.shipments.overdue, 'kpi-overdue-box', 'warn');
    setKpi('kpi-alerts', d.alerts.open, 'kpi-alerts-box', 'bad');
    setKpi('kpi-quarantined', d.quarantined_items, 'kpi-quarantined-box', 'bad');
    setKpi('kpi-recalls', d.recalls.open, 'kpi-recalls-box', 'warn');

    // Until the follower has walked back over the last day (after a restart)
    // the windows undercount: say so rather than show a number as complete.
    const partial = d.events.window_complete === false;
    $('kpi-events-day').title = partial ? TL.t('window_partial') : '';
    $('kpi-events-day-box').classList.toggle('partial', partial);
    $('programmes').innerHTML = ALL_PROGS.map(p => {
      const g = d.programmes[p] || {};
      return `<div class="prog ${p}" data-programme="${p}"><div class="name">${TL.esc(TL.t('prog_' + p))}</div>` +
        `<div class="big">${TL.num(g.items)}</div>` +
        `<div class="row"><span>${TL.esc(TL.t('ev_hour'))}</span><b>${TL.num(g.events_last_hour)}</b></div>` +
        `<div class="row"><span>${TL.esc(TL.t('ev_day'))}</span><b>${TL.num(g.events_last_day)}</b></div></div>`;
    }).join('');

    // Newest alerts.
    const alerts = d.alerts.newest || [];
    $('alerts').innerHTML = alerts.length ? alerts.map(a =>
      `<li><span class="tag ${TL.esc(a.kind)}${a.open ? '' : ' closed'}">${TL.esc(kindName(a.kind))}</span>` +
      `<span class="msg" title="${TL.esc(a.message)}">${TL.esc((TL.lang === 'en' ? '' : a.message_zh) || a.subject + ' · ' + a.message)}</span>` +
      `<span class="when">${TL.esc(TL.time(a.time))} · #${TL.esc(a.height)} · ${TL.esc(a.open ? TL.t('open') : TL.t('closed'))}</span></li>`).join('')
      : `<li class="empty">${TL.esc(TL.t('no_alerts'))}</li>`;

    // Recalls.
    const recalls = d.recalls.list || [];
    $('recalls').innerHTML = recalls.length ? recalls.slice(0, 5).map(r => {
      const pct = Math.round((r.progress || 0) * 100);
      const level = r.level ? ' · ' + TL.t('recall_level', { n: r.level }) : '';
      return `<div class="recall"><div class="top"><span>${TL.esc(r.recall_id)}${TL.esc(level)} · ${TL.esc(r.product_name || r.product_code)}</span>` +
        `<span>${pct}% · ${TL.esc(r.open ? TL.t('open') : TL.t('closed'))}</span></div>` +
        `<div class="bar"><div style="width:${pct}%"></div></div>` +
        `<div class="sub">${TL.esc(TL.t('resolved'))} ${TL.num(r.resolved)} / ${TL.num(r.affected)} · ${TL.esc(TL.t('outstanding'))} ${TL.num(r.outstanding)} · ${TL.esc(r.reason)}</div></div>`;
    }).join('') : `<div class="empty">${TL.esc(TL.t('no_recalls'))}</div>`;

    // Cluster health.
    const L = d.ledger;
    $('cluster').innerHTML =
      `<div class="health"><div><div class="v" id="ledger-height">${TL.num(L.height)}</div><div class="l">${TL.esc(TL.t('height'))}</div></div>` +
      `<div><div class="v">${(L.tx_per_second || 0).toFixed(1)}</div><div class="l">${TL.esc(TL.t('tps'))}</div></div>` +
      `<div><div class="v">${interval(L.block_interval_seconds)}</div><div class="l">${TL.esc(TL.t('block_interval'))}</div></div>` +
      `<div><div class="v">${TL.esc(L.leader || '–')}</div><div class="l">${TL.esc(TL.t('leader'))} · ${TL.esc(TL.t('term'))} ${TL.num(L.term)}</div></div></div>` +
      `<table class="nodes"><tr><th></th><th>${TL.esc(TL.t('height'))}</th><th>${TL.esc(TL.t('lag'))}</th><th></th></tr>` +
      (L.nodes || []).map(n => `<tr><td><span class="dot${n.connected ? '' : ' off'}"></span>${TL.esc(n.id)}${n.self ? ' ★' : ''}</td>` +
        `<td>${TL.num(n.height)}</td><td>${TL.num(n.lag_blocks)}</td>` +
        `<td>${TL.esc(n.role === 'leader' ? TL.t('role_leader') : TL.t('role_follower'))} · ${TL.esc(n.connected ? TL.t('connected') : TL.t('disconnected'))}</td></tr>`).join('') +
      `</table>`;

    drawCharts(d);
    $('status-line').classList.remove('bad');
    $('status-line').textContent = `${d.chain_id} · ${TL.t('height')} ${TL.num(d.height)} · ${TL.t('updated')} ${TL.time(d.generated_at)}`;
    document.body.dataset.ready = '1';
    document.body.dataset.height = String(d.height);
  }

  function drawCharts(d) {
    const ev = chart('chart-events');
    if (ev) {
      const minutes = (d.events.per_minute || []).map(m => {
        const t = new Date(m.minute);
        return String(t.getHours()).padStart(2, '0') + ':' + String(t.getMinutes()).padStart(2, '0');
      });
      ev.setOption({
        animation: false, color: ALL_PROGS.map(p => COLORS[p]),
        grid: { left: 40, right: 16, top: 34, bottom: 26 },
        legend: { top: 0, textStyle: { color: '#bfe0ff' }, data: ALL_PROGS.map(p => TL.t('prog_' + p)) },
        tooltip: { trigger: 'axis' },
        xAxis: Object.assign({ type: 'category', data: minutes, boundaryGap: false }, axisStyle),
        yAxis: Object.assign({ type: 'value', minInterval: 1 }, axisStyle),
        series: ALL_PROGS.map(p => ({ name: TL.t('prog_' + p), type: 'line', stack: 'all', smooth: true, symbol: 'none',
          areaStyle: { opacity: 0.35 }, lineStyle: { width: 2 }, data: (d.events.per_minute || []).map(m => m[p] || 0) }))
      }, true);
    }
    const al = chart('chart-alerts');
    if (al) {
      const kinds = Object.keys(d.alerts.open_by_type || {});
      const data = kinds.map(k => ({ name: kindName(k), value: d.alerts.open_by_type[k], itemStyle: { color: KIND_COLORS[k] || '#8a7dff' } }));
      al.setOption({
        animation: false,
        tooltip: { trigger: 'item' },
        title: { text: TL.num(d.alerts.open), subtext: TL.t('alerts_open'), left: 'center', top: '38%',
          textStyle: { color: '#fff', fontSize: 30 }, subtextStyle: { color: '#8fb8f5' } },
        legend: { bottom: 0, textStyle: { color: '#bfe0ff' } },
        series: [{ type: 'pie', radius: ['48%', '70%'], center: ['50%', '46%'], label: { show: false },
          data: data.length ? data : [{ name: TL.t('no_alerts'), value: 0, itemStyle: { color: '#23406e' } }] }]
      }, true);
    }
    const st = chart('chart-status');
    if (st) {
      const by = d.items.by_status || {};
      // by_status counts cases and pallets too; the headline total does not.
      const units = d.items.logistic_units || 0;
      st.setOption({
        animation: false,
        title: units ? { text: TL.t('incl_units', { n: units }), right: 6, top: 0, textStyle: { color: '#8fb8f5', fontSize: 12, fontWeight: 'normal' } } : undefined,
        grid: { left: 90, right: 40, top: units ? 24 : 8, bottom: 20 },
        tooltip: {},
        xAxis: Object.assign({ type: 'value', minInterval: 1 }, axisStyle),
        yAxis: Object.assign({ type: 'category', data: STATUSES.map(s => TL.t('st_' + s)), inverse: true }, axisStyle),
        series: [{ type: 'bar', barWidth: 14, label: { show: true, position: 'right', color: '#e4efff' },
          data: STATUSES.map((s, i) => ({ value: by[s] || 0, itemStyle: { color: STATUS_COLORS[i], borderRadius: [0, 6, 6, 0] } })) }]
      }, true);
    }
    const ro = chart('chart-roles');
    if (ro) {
      const roles = Object.entries(d.enterprises.active_by_role || {}).sort((a, b) => b[1] - a[1]);
      const palette = ['#4fa3ff', '#35d0ba', '#ffb547', '#b078ff', '#ff78c8', '#8fb8f5', '#5be37d', '#ff8a5b', '#c9d66b', '#6bd6d6', '#a0a0ff'];
      ro.setOption({
        animation: false, color: palette,
        tooltip: { trigger: 'item' },
        legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle', textStyle: { color: '#bfe0ff' } },
        series: [{ type: 'pie', roseType: 'radius', radius: ['18%', '78%'], center: ['34%', '52%'], label: { show: false },
          data: roles.map(r => ({ name: TL.has('role_' + r[0]) ? TL.t('role_' + r[0]) : r[0], value: r[1] })) }]
      }, true);
    }
    const rg = chart('chart-region');
    if (rg) {
      const byCity = {};
      for (const [code, n] of Object.entries(d.enterprises.by_region || {})) {
        const city = TL.regionCity(code);
        byCity[city] = (byCity[city] || 0) + n;
      }
      const regions = Object.entries(byCity).sort((a, b) => b[1] - a[1]).slice(0, 11);
      rg.setOption({
        animation: false,
        grid: { left: 40, right: 12, top: 14, bottom: 40 },
        tooltip: {},
        xAxis: Object.assign({ type: 'category', data: regions.map(r => TL.region(r[0])), axisLabel: { color: '#8fb8f5', interval: 0, rotate: regions.length > 6 ? 30 : 0 } }, { axisLine: axisStyle.axisLine }),
        yAxis: Object.assign({ type: 'value', minInterval: 1 }, axisStyle),
        series: [{ type: 'bar', barWidth: '50%', data: regions.map(r => r[1]),
          itemStyle: { borderRadius: [6, 6, 0, 0], color: new window.echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: '#4fa3ff' }, { offset: 1, color: '#1b3f7a' }]) } }]
      }, true);
    }
  }

  async function refresh() {
    let body = null;
    try {
      const r = await TL.getJson('/v1/cockpit', 8000);
      if (r.status !== 200 || !r.body) throw new Error('HTTP ' + r.status);
      failures = 0;
      body = r.body;
    } catch (e) {
      failures++;
      $('status-line').classList.add('bad');
      $('status-line').textContent = TL.t('offline');
    }
    setTimeout(refresh, failures ? Math.min(30000, REFRESH_MS * (1 + failures)) : REFRESH_MS);
    // Outside the try: a bug in render is a script error on the console (the
    // browser test looks for those), not "offline".
    if (body) render(body);
  }

  function tick() {
    const now = new Date();
    $('clock').textContent = now.toLocaleString(TL.lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
  }

  document.addEventListener('DOMContentLoaded', () => {
    TL.applyStatic();
    $('lang').addEventListener('click', () => { TL.toggleLang(); if (last) render(last); tick(); });
    window.addEventListener('resize', () => Object.values(charts).forEach(c => c.resize()));
    tick();
    setInterval(tick, 1000);
    refresh();
  });
})();
