// Shared by the cockpit and the trace page: language (zh-CN first, English
// available), fetching JSON with a timeout, formatting. No framework.
'use strict';
(function () {
  const STRINGS = {
    'zh-CN': {
      lang_toggle: 'English',
      cockpit_title: '浙江省市场监管 · 追溯链监管驾驶舱',
      cockpit_sub: '浙苗链 · 浙冷链 · 浙食链 一链共管',
      items_total: '追溯对象总数', events_day: '24小时上链事件', events_hour: '近1小时事件',
      shipments_open: '在途运单', shipments_overdue: '超时未收运单', alerts_open: '未闭环预警',
      quarantined: '隔离中', recalls_open: '进行中召回',
      prog_vaccine: '浙苗链 · 疫苗', prog_cold_chain: '浙冷链 · 进口冷链食品', prog_food: '浙食链 · 食品',
      recall_level: '{n}级',
      prog_other: '其他 · 药品与登记', window_partial: '统计回溯中，数字偏低', incl_units: '含 {n} 个箱/托盘',
      items: '追溯对象', ev_hour: '近1小时', ev_day: '近24小时',
      chart_events: '近60分钟上链事件（按业务）', chart_alerts: '未闭环预警类型',
      chart_status: '追溯对象状态', chart_region: '企业地区分布', chart_roles: '企业角色',
      newest_alerts: '最新预警', recall_progress: '召回闭环进度', cluster: '监管节点集群',
      height: '区块高度', tps: '交易/秒', block_interval: '出块间隔', leader: '主节点', term: '任期',
      lag: '落后区块', connected: '在线', disconnected: '离线', role_leader: '主', role_follower: '从',
      no_alerts: '暂无预警', no_recalls: '暂无召回', updated: '更新于', offline: '无法连接节点，正在重试…',
      seconds: '秒', resolved: '已处置', outstanding: '待处置', closed: '已关闭', open: '进行中',
      kind_temperature_excursion: '温度超标', kind_overdue_shipment: '运单超时', kind_inspection_failed: '抽检不合格', kind_recall: '召回',
      st_active: '在库/流通', st_in_transit: '运输中', st_quarantined: '隔离', st_recalled: '召回', st_dispensed: '已售/已接种', st_destroyed: '已销毁',
      other: '其他',
      role_producer: '生产', role_manufacturer: '制造', role_importer: '进口', role_logistics: '物流', role_warehouse: '仓储',
      role_distributor: '批发配送', role_retailer: '零售', role_caterer: '餐饮', role_pharmacy: '药店', role_vaccination_site: '接种点', role_lab: '检验机构',
      // trace page
      trace_title: '商品追溯', loading: '正在查询链上记录…',
      banner_safe: '安全', banner_safe_sub: '流通记录完整，未发现异常',
      banner_quarantined: '已隔离', banner_quarantined_sub: '该商品因温度或检验问题被隔离，请勿使用或食用',
      banner_recalled: '已召回', banner_recalled_sub: '该商品在召回范围内，请停止使用并联系购买处',
      banner_expired: '已过期', banner_expired_sub: '该商品已超过有效期，请勿使用',
      banner_dispensed: '已售出/已使用', banner_dispensed_sub: '该商品已交付消费者或已接种',
      banner_destroyed: '已销毁', banner_destroyed_sub: '该商品已按规定销毁',
      banner_in_transit: '运输中', banner_in_transit_sub: '该商品正在冷链运输途中，记录完整',
      not_found: '未找到该追溯码', not_found_sub: '请核对包装上的追溯码；如仍无法查询，可能为假冒商品，请向当地市场监管部门反映（12315）。',
      error: '查询失败', error_sub: '请稍后再试。',
      product: '商品', category: '类别', lot: '批号', expiry: '有效期至', custodian: '当前持有方', origin: '来源',
      origin_country: '原产国', producer: '生产/进口企业', code: '追溯码',
      timeline: '流转记录', temperature: '温度记录', allowed_band: '允许范围', documents: '证照与检验报告',
      no_documents: '暂无附加证照', no_readings: '暂无温度记录',
      ledger_line: '已记录于区块链账本高度 {h}，经 {k} 个监管局节点确认',
      chain_head: '追溯链哈希', verify_hint: '任何人可用 tracectl verify-trace 离线验证本记录',
      cat_vaccine: '疫苗', cat_drug: '药品', cat_cold_chain_food: '进口冷链食品', cat_food: '食品',
      ev_product_register: '产品登记', ev_commission: '赋码入链', ev_document: '上传证照', ev_aggregate: '装箱', ev_disaggregate: '拆箱',
      ev_ship: '发货', ev_receive: '收货', ev_reading: '温度记录', ev_transform: '加工', ev_inspect: '抽样检验',
      ev_dispense: '销售/接种', ev_destroy: '销毁', ev_quarantine: '监管隔离', ev_release: '解除隔离',
      ev_recall_issue: '发布召回', ev_recall_respond: '召回处置', ev_recall_close: '召回关闭',
      excursion: '超温', recorded: '上链时间',
      banner_sold: '已售出', banner_sold_sub: '该商品已售予消费者',
      banner_administered: '已接种', banner_administered_sub: '该剂次疫苗已完成接种',
      banner_consumed: '已使用', banner_consumed_sub: '该商品已被使用（如餐饮加工）',
      banner_transformed: '已加工', banner_transformed_sub: '该原料已加工为其他产品，见下方“加工为”',
      banner_overdue: '运输超时', banner_overdue_sub: '该运单已超过约定到货时间仍未签收，监管部门已收到预警',
      terminal_sold: '售出', terminal_administered: '接种', terminal_consumed: '使用',
      inspection: '抽检', inspection_pass: '合格', inspection_fail: '不合格',
      carrier: '承运', reason: '原因', lot_event: '批次',
      shipment: '运输中', shipment_overdue: '运输超时', ship_from: '发货方', ship_to: '收货方',
      vehicle: '车辆', shipped_at: '发货时间', deadline: '应到时间',
      imported: '进口', origin_place: '产地/赋码地', alerts: '预警记录',
      events_shown: '显示 {n} / 共 {m} 条记录', lineage: '包装与加工', packed_in: '装于',
      contains: '内含', n_items: '{n} 件', made_from: '原料来自', made_into: '加工为',
      ledger_line_one: '已记录于区块链账本高度 {h}，经 1 个监管局节点确认',
      doc_customs_declaration: '报关单', doc_quarantine_certificate: '入境货物检验检疫证明', doc_nucleic_acid_test: '核酸检测报告',
      doc_disinfection_certificate: '消毒证明', doc_inspection_report: '检验报告', doc_animal_quarantine_certificate: '动物检疫合格证明'
    },
    en: {
      lang_toggle: '中文',
      cockpit_title: 'Zhejiang Market Supervision · Traceability Ledger Cockpit',
      cockpit_sub: 'Vaccines · Imported cold-chain food · Farm-to-table food on one ledger',
      items_total: 'Traced items', events_day: 'Events, last 24 h', events_hour: 'Events, last hour',
      shipments_open: 'Shipments in transit', shipments_overdue: 'Overdue shipments', alerts_open: 'Open alerts',
      quarantined: 'Quarantined', recalls_open: 'Open recalls',
      prog_vaccine: 'Vaccines', prog_cold_chain: 'Imported cold chain', prog_food: 'Food',
      recall_level: 'level {n}',
      prog_other: 'Other · drugs, registry', window_partial: 'catching up: undercounts', incl_units: 'incl. {n} case(s)/pallet(s)',
      items: 'Items', ev_hour: 'Last hour', ev_day: 'Last 24 h',
      chart_events: 'Events per minute, last 60 min', chart_alerts: 'Open alerts by type',
      chart_status: 'Items by status', chart_region: 'Enterprises by region', chart_roles: 'Enterprise roles',
      newest_alerts: 'Newest alerts', recall_progress: 'Recall closure', cluster: 'Bureau nodes',
      height: 'Height', tps: 'Tx/s', block_interval: 'Block interval', leader: 'Leader', term: 'Term',
      lag: 'Lag (blocks)', connected: 'online', disconnected: 'offline', role_leader: 'leader', role_follower: 'follower',
      no_alerts: 'No alerts', no_recalls: 'No recalls', updated: 'Updated', offline: 'Cannot reach the node, retrying…',
      seconds: 's', resolved: 'resolved', outstanding: 'outstanding', closed: 'closed', open: 'open',
      kind_temperature_excursion: 'Temperature excursion', kind_overdue_shipment: 'Overdue shipment', kind_inspection_failed: 'Failed inspection', kind_recall: 'Recall',
      st_active: 'Active', st_in_transit: 'In transit', st_quarantined: 'Quarantined', st_recalled: 'Recalled', st_dispensed: 'Dispensed', st_destroyed: 'Destroyed',
      other: 'Other',
      role_producer: 'Producer', role_manufacturer: 'Manufacturer', role_importer: 'Importer', role_logistics: 'Logistics', role_warehouse: 'Warehouse',
      role_distributor: 'Distributor', role_retailer: 'Retailer', role_caterer: 'Caterer', role_pharmacy: 'Pharmacy', role_vaccination_site: 'Vaccination site', role_lab: 'Lab',
      trace_title: 'Product trace', loading: 'Reading the ledger…',
      banner_safe: 'Safe', banner_safe_sub: 'Complete record, nothing wrong found',
      banner_quarantined: 'Quarantined', banner_quarantined_sub: 'Held because of a temperature or inspection problem. Do not use or eat.',
      banner_recalled: 'Recalled', banner_recalled_sub: 'This item is under recall. Stop using it and contact the seller.',
      banner_expired: 'Expired', banner_expired_sub: 'Past its expiry date. Do not use.',
      banner_dispensed: 'Sold / administered', banner_dispensed_sub: 'Handed to a consumer or administered.',
      banner_destroyed: 'Destroyed', banner_destroyed_sub: 'Destroyed as required.',
      banner_in_transit: 'In transit', banner_in_transit_sub: 'On its way in the cold chain; record complete.',
      not_found: 'Code not found', not_found_sub: 'Check the code on the pack. If it still cannot be found the product may be counterfeit: report it to the market supervision bureau (12315).',
      error: 'Lookup failed', error_sub: 'Please try again later.',
      product: 'Product', category: 'Category', lot: 'Lot', expiry: 'Expires', custodian: 'Held by', origin: 'Origin',
      origin_country: 'Country of origin', producer: 'Made / imported by', code: 'Code',
      timeline: 'Custody timeline', temperature: 'Temperature', allowed_band: 'Allowed range', documents: 'Documents and reports',
      no_documents: 'No documents attached', no_readings: 'No temperature readings',
      ledger_line: 'Recorded on the ledger at height {h}, confirmed by {k} bureaus',
      chain_head: 'Chain head', verify_hint: 'Anyone can check this record offline with tracectl verify-trace',
      cat_vaccine: 'Vaccine', cat_drug: 'Drug', cat_cold_chain_food: 'Imported cold-chain food', cat_food: 'Food',
      ev_product_register: 'Product registered', ev_commission: 'Commissioned', ev_document: 'Document attached', ev_aggregate: 'Packed', ev_disaggregate: 'Unpacked',
      ev_ship: 'Shipped', ev_receive: 'Received', ev_reading: 'Temperature logged', ev_transform: 'Processed', ev_inspect: 'Inspected',
      ev_dispense: 'Sold / administered', ev_destroy: 'Destroyed', ev_quarantine: 'Quarantined by regulator', ev_release: 'Released',
      ev_recall_issue: 'Recall issued', ev_recall_respond: 'Recall response', ev_recall_close: 'Recall closed',
      excursion: 'excursion', recorded: 'recorded',
      banner_sold: 'Sold', banner_sold_sub: 'Sold to a consumer.',
      banner_administered: 'Administered', banner_administered_sub: 'This dose has been administered.',
      banner_consumed: 'Used', banner_consumed_sub: 'Used up (e.g. in a kitchen).',
      banner_transformed: 'Processed', banner_transformed_sub: 'Made into other products: see "Made into" below.',
      banner_overdue: 'Shipment overdue', banner_overdue_sub: 'Not received by its deadline; the bureau has been alerted.',
      terminal_sold: 'sold', terminal_administered: 'administered', terminal_consumed: 'used',
      inspection: 'Inspection', inspection_pass: 'passed', inspection_fail: 'failed',
      carrier: 'carrier', reason: 'reason', lot_event: 'lot',
      shipment: 'In transit', shipment_overdue: 'Shipment overdue', ship_from: 'From', ship_to: 'To',
      vehicle: 'Vehicle', shipped_at: 'Shipped', deadline: 'Due by',
      imported: 'Imported', origin_place: 'Place', alerts: 'Alerts',
      events_shown: 'Showing {n} of {m} events', lineage: 'Packing and processing', packed_in: 'Packed in',
      contains: 'Contains', n_items: '{n} items', made_from: 'Made from', made_into: 'Made into',
      ledger_line_one: 'Recorded on the ledger at height {h}, confirmed by 1 bureau',
      doc_customs_declaration: 'Customs declaration', doc_quarantine_certificate: 'Quarantine certificate', doc_nucleic_acid_test: 'Nucleic-acid test',
      doc_disinfection_certificate: 'Disinfection certificate', doc_inspection_report: 'Inspection report', doc_animal_quarantine_certificate: 'Animal quarantine certificate'
    }
  };
  const REGIONS = {
    '330100': ['杭州', 'Hangzhou'], '330200': ['宁波', 'Ningbo'], '330300': ['温州', 'Wenzhou'],
    '330400': ['嘉兴', 'Jiaxing'], '330500': ['湖州', 'Huzhou'], '330600': ['绍兴', 'Shaoxing'],
    '330700': ['金华', 'Jinhua'], '330800': ['衢州', 'Quzhou'], '330900': ['舟山', 'Zhoushan'],
    '331000': ['台州', 'Taizhou'], '331100': ['丽水', 'Lishui']
  };
  function pickLang() {
    const q = new URLSearchParams(location.search).get('lang');
    if (q === 'en' || q === 'zh-CN') return q;
    try {
      const s = localStorage.getItem('tl-lang');
      if (s === 'en' || s === 'zh-CN') return s;
    } catch (e) { /* storage may be off */ }
    return 'zh-CN';
  }
  const TL = {
    lang: pickLang(),
    t(key, vars) {
      let s = (STRINGS[TL.lang] && STRINGS[TL.lang][key]) || STRINGS['zh-CN'][key] || key;
      if (vars) for (const k in vars) s = s.replace('{' + k + '}', vars[k]);
      return s;
    },
    has(key) { return key in STRINGS['zh-CN']; },
    setLang(l) {
      TL.lang = l;
      try { localStorage.setItem('tl-lang', l); } catch (e) { /* ignore */ }
      document.documentElement.lang = l;
      TL.applyStatic();
    },
    toggleLang() { TL.setLang(TL.lang === 'en' ? 'zh-CN' : 'en'); },
    // Fills every [data-i18n] element with its string.
    applyStatic() {
      document.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = TL.t(el.dataset.i18n); });
      document.documentElement.lang = TL.lang;
    },
    // The city (prefecture) a Zhejiang region code is in — 330106, Xihu
    // district, is in 330100, Hangzhou — so that a province's chart shows
    // cities; a code outside the table stays as it is.
    regionCity(code) {
      const city = String(code || '').slice(0, 4) + '00';
      return REGIONS[city] ? city : code;
    },
    region(code) {
      const r = REGIONS[code];
      if (!r) return code || TL.t('other');
      return TL.lang === 'en' ? r[1] : r[0];
    },
    num(n) {
      if (n === undefined || n === null || Number.isNaN(n)) return '–';
      return Number(n).toLocaleString(TL.lang === 'en' ? 'en-US' : 'zh-CN');
    },
    esc(s) {
      return String(s === undefined || s === null ? '' : s).replace(/[&<>"']/g,
        c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
    },
    time(iso) {
      if (!iso) return '';
      const d = new Date(iso);
      if (Number.isNaN(d.getTime())) return String(iso);
      return d.toLocaleString(TL.lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
    },
    // GET a JSON document; resolves {status, body} (body null if not JSON).
    async getJson(url, timeoutMs) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), timeoutMs || 8000);
      try {
        const res = await fetch(url, { signal: ctl.signal, headers: { Accept: 'application/json' } });
        let body = null;
        try { body = await res.json(); } catch (e) { body = null; }
        return { status: res.status, body };
      } finally {
        clearTimeout(timer);
      }
    },
    charts: typeof window.echarts === 'object' && window.echarts !== null
  };
  window.TL = TL;
})();
