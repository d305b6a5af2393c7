// Symphainy operator console: follows the tenant's /v1/events stream and calls the v1 REST routes of the same origin.
// Every string from the server goes into the page through textContent (el()), never as HTML.
'use strict';

(() => {
  const KEY_STORAGE = 'symphainy.console.apiKey';
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 15000;

  const $ = (id) => document.getElementById(id);

  /** Makes an element whose children are nodes or strings (strings become text nodes: never parsed as HTML). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null) continue;
      if (name === 'className') node.className = String(value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const state = {
    apiKey: null,
    socket: null,
    lastPosition: 0,          // the last event position received: a reconnect resumes at lastPosition + 1
    reconnectDelay: RECONNECT_MIN_MS,
    reconnectTimer: null,
    executions: new Map(),    // id -> { id, capability, state, step, updated, row }
    capabilities: new Map(),  // name -> capability
    selected: null,
    detailTimer: null,
    stopped: true,
  };

  // ---- connection status --------------------------------------------------------------------------------------

  function setStatus(kind, text) {
    const status = $('status');
    status.dataset.state = kind;
    status.textContent = text;
  }

  // ---- API key --------------------------------------------------------------------------------------------------

  function keyFromFragment() {
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
    const key = fragment.get('key') || fragment.get('access_token');
    if (key) {
      // Take the key out of the address bar (and the history) at once.
      history.replaceState(null, '', location.pathname + location.search);
    }
    return key;
  }

  function start(key) {
    state.apiKey = key;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('key-panel').hidden = true;
    $('main').hidden = false;
    $('forget-key').hidden = false;
    state.stopped = false;
    loadCapabilities();
    connect();
  }

  function stop(message) {
    state.stopped = true;
    clearTimeout(state.reconnectTimer);
    if (state.socket) {
      const socket = state.socket;
      state.socket = null;
      socket.close();
    }
    setStatus('closed', message || 'not connected');
  }

  function forgetKey(message) {
    stop(message);
    state.apiKey = null;
    sessionStorage.removeItem(KEY_STORAGE);
    $('key-input').value = '';
    $('key-panel').hidden = false;
    $('forget-key').hidden = true;
  }

  // ---- REST -----------------------------------------------------------------------------------------------------

  /** Calls the API with the key; resolves to { ok, status, body } (body: parsed JSON, a problem on failure). */
  async function api(method, path, body, headers) {
    const init = { method, headers: { 'X-Api-Key': state.apiKey, Accept: 'application/json', ...(headers || {}) } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = body;
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      return { ok: false, status: 0, body: { code: 'console.network', title: 'Network error', detail: String(error && error.message || error) } };
    }
    let parsed = null;
    const text = await response.text();
    if (text) {
      try { parsed = JSON.parse(text); } catch { parsed = { code: 'console.unreadable', title: 'Unreadable answer', detail: text.slice(0, 500) }; }
    }
    if (response.status === 401) {
      forgetKey('API key refused');
    }
    return { ok: response.ok, status: response.status, body: parsed };
  }

  function problemView(problem, status) {
    const p = problem || {};
    const box = el('div', { className: 'problem', role: 'alert' },
      el('span', { className: 'code' }, p.code || `http.${status}`),
      status ? ` (${status}) ` : ' ',
      el('strong', null, p.title || ''));
    if (p.detail) box.append(el('div', { className: 'detail' }, p.detail));
    if (p.retryable) box.append(el('div', { className: 'hint' }, p.retryAfterSeconds ? `retryable, after ${p.retryAfterSeconds} s` : 'retryable'));
    return box;
  }

  async function loadCapabilities() {
    const answer = await api('GET', '/v1/capabilities');
    const select = $('intent-type');
    select.replaceChildren();
    if (!answer.ok) {
      $('intent-result').replaceChildren(problemView(answer.body, answer.status));
      return;
    }
    state.capabilities.clear();
    for (const capability of answer.body || []) {
      state.capabilities.set(capability.name, capability);
      select.append(el('option', { value: capability.name }, `${capability.name} (v${capability.version})`));
    }
    showDescription();
  }

  function showDescription() {
    const capability = state.capabilities.get($('intent-type').value);
    $('intent-description').textContent = capability ? `${capability.realm}: ${capability.description}` : '';
  }

  async function submitIntent(event) {
    event.preventDefault();
    const result = $('intent-result');
    const type = $('intent-type').value;
    let payload;
    try {
      payload = JSON.parse($('intent-payload').value);
    } catch (error) {
      result.replaceChildren(problemView({ code: 'console.invalid_json', title: 'The payload is not JSON', detail: String(error.message) }, 0));
      return;
    }
    const headers = {};
    const idempotencyKey = $('intent-idempotency').value.trim();
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    $('intent-submit').disabled = true;
    try {
      const answer = await api('POST', '/v1/intents', JSON.stringify({ type, payload }), headers);
      if (answer.ok && answer.body) {
        const a = answer.body;
        const row = upsert(a.execution, { capability: type });
        result.replaceChildren(el('div', { className: 'accepted', role: 'status' },
          el('strong', null, a.duplicate ? 'Accepted (duplicate of an earlier submission)' : 'Accepted'),
          el('dl', null,
            el('dt', null, 'execution'), el('dd', null, el('code', { className: 'execution-id' }, a.execution)),
            el('dt', null, 'intent'), el('dd', null, el('code', null, a.intent)),
            el('dt', null, 'position'), el('dd', null, String(a.position)))));
        if (row) row.classList.add('recent');
      } else {
        result.replaceChildren(problemView(answer.body, answer.status));
      }
    } finally {
      $('intent-submit').disabled = false;
    }
  }

  // ---- executions list -------------------------------------------------------------------------------------------

  /** Adds or updates an execution's row; fields: capability, state, step, updated. */
  function upsert(id, fields) {
    if (!id) return null;
    let execution = state.executions.get(id);
    if (!execution) {
      const row = el('tr', { 'data-execution': id, tabindex: '0' },
        el('td', { className: 'mono id' }, id), el('td', { className: 'capability' }), el('td', { className: 'state' }),
        el('td', { className: 'step' }), el('td', { className: 'updated' }));
      row.addEventListener('click', () => select(id));
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(id); });
      execution = { id, capability: null, state: null, step: null, updated: null, row };
      state.executions.set(id, execution);
      $('executions').tBodies[0].prepend(row);
      $('executions-empty').hidden = true;
      if (!fields.capability) lookUpCapability(execution);
    }
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined && value !== null) execution[name] = value;
    }
    const cells = execution.row.cells;
    cells[1].textContent = execution.capability || '';
    cells[2].textContent = execution.state || '';
    cells[2].className = `state state-${execution.state || 'unknown'}`;
    execution.row.dataset.state = execution.state || '';
    cells[3].textContent = execution.step || '';
    cells[4].textContent = execution.updated ? new Date(execution.updated).toLocaleTimeString() : '';
    if (execution.updated) cells[4].title = execution.updated;
    return execution.row;
  }

  /** An execution first seen on the stream: its capability is its definition, read once. */
  async function lookUpCapability(execution) {
    const answer = await api('GET', `/v1/executions/${encodeURIComponent(execution.id)}`);
    if (answer.ok && answer.body && !execution.capability) {
      upsert(execution.id, { capability: answer.body.definition });
    }
  }

  function onEvent(e) {
    if (typeof e.position === 'number' && e.position > state.lastPosition) state.lastPosition = e.position;
    upsert(e.execution, { state: e.state, step: e.step || (e.state === 'Running' ? undefined : ''), updated: e.timestamp });
    if (state.selected === e.execution) scheduleDetail();
  }

  // ---- WebSocket ------------------------------------------------------------------------------------------------

  function connect() {
    if (state.stopped || !state.apiKey) return;
    const query = new URLSearchParams({ access_token: state.apiKey });
    if (state.lastPosition > 0) query.set('from', String(state.lastPosition + 1));
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/v1/events?${query}`);
    state.socket = socket;
    setStatus(state.lastPosition > 0 ? 'reconnecting' : 'connecting',
      state.lastPosition > 0 ? `reconnecting from ${state.lastPosition + 1}…` : 'connecting…');
    let refused = null;

    socket.addEventListener('open', () => {
      if (state.socket !== socket) return;
      state.reconnectDelay = RECONNECT_MIN_MS;
      setStatus('live', `live (position ${state.lastPosition})`);
    });
    socket.addEventListener('message', (message) => {
      if (state.socket !== socket) return;
      let m;
      try { m = JSON.parse(message.data); } catch { return; }
      if (m.type === 'event' && m.event) {
        onEvent(m.event);
        setStatus('live', `live (position ${state.lastPosition})`);
      } else if (m.type === 'heartbeat') {
        setStatus('live', `live (position ${state.lastPosition})`);
      } else if (m.type === 'error') {
        refused = m;
        setStatus('error', `${m.code}: ${m.detail || ''}`);
      }
    });
    socket.addEventListener('close', (close) => {
      if (state.socket !== socket) return;
      state.socket = null;
      if (state.stopped) return;
      if (refused && String(refused.code).startsWith('security.')) {
        stop(`${refused.code}: ${refused.detail || ''}`);
        return;
      }
      const delay = state.reconnectDelay;
      state.reconnectDelay = Math.min(delay * 2, RECONNECT_MAX_MS);
      const reason = refused ? refused.code : (close.reason || `closed (${close.code})`);
      setStatus('reconnecting', `${reason}; reconnecting in ${Math.ceil(delay / 1000)} s`);
      state.reconnectTimer = setTimeout(connect, delay);
    });
  }

  // ---- detail ---------------------------------------------------------------------------------------------------

  function select(id) {
    state.selected = id;
    for (const execution of state.executions.values()) execution.row.classList.toggle('selected', execution.id === id);
    $('detail').hidden = false;
    $('detail-id').textContent = id;
    $('detail-problem').replaceChildren();
    $('detail-state').replaceChildren();
    $('detail-events').tBodies[0].replaceChildren();
    $('detail-artifacts').replaceChildren();
    loadDetail(id);
  }

  function scheduleDetail() {
    clearTimeout(state.detailTimer);
    state.detailTimer = setTimeout(() => { if (state.selected) loadDetail(state.selected); }, 150);
  }

  /** A JSON value as text: a string as itself, anything else indented. */
  function json(value) {
    return el('pre', null, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  }

  async function loadDetail(id) {
    const path = `/v1/executions/${encodeURIComponent(id)}`;
    const [execution, events, artifacts] = await Promise.all([
      api('GET', path), api('GET', `${path}/events`), api('GET', `${path}/artifacts`)]);
    if (state.selected !== id) return;
    const problems = [execution, events, artifacts].filter((a) => !a.ok).map((a) => problemView(a.body, a.status));
    $('detail-problem').replaceChildren(...problems);
    if (execution.ok) renderState(execution.body);
    if (events.ok) renderEvents(events.body || []);
    if (artifacts.ok) renderArtifacts(artifacts.body || []);
  }

  function renderState(x) {
    const rows = [];
    const add = (name, value) => rows.push(el('dt', null, name), el('dd', { 'data-field': name }, value));
    add('definition', `${x.definition} v${x.version}`);
    add('state', el('span', { className: `state state-${x.state}` }, x.state));
    add('completed steps', String(x.completedSteps));
    if (x.currentStep) add('current step', x.currentStep);
    if (x.output !== undefined) add('output', json(x.output));
    if (x.error) {
      add('error', el('div', { className: 'problem' },
        el('span', { className: 'code' }, x.error.code), ` (${x.error.kind}${x.error.step ? `, step ${x.error.step}` : ''}) `,
        el('div', { className: 'detail' }, x.error.message)));
    }
    $('detail-state').replaceChildren(...rows);
    upsert(x.id, { capability: x.definition, state: x.state });
  }

  function renderEvents(list) {
    $('detail-events').tBodies[0].replaceChildren(...list.map((e) => el('tr', { 'data-kind': e.kind },
      el('td', null, String(e.position)), el('td', { className: 'kind' }, e.kind), el('td', null, e.state),
      el('td', { className: 'step' }, e.step || ''), el('td', { title: e.timestamp }, new Date(e.timestamp).toLocaleTimeString()))));
  }

  function citationsOf(content) {
    const found = [];
    const visit = (value, depth) => {
      if (!value || typeof value !== 'object' || depth > 4) return;
      if (Array.isArray(value)) { value.forEach((v) => visit(v, depth + 1)); return; }
      for (const [name, v] of Object.entries(value)) {
        if (/^(citations|sources)$/i.test(name) && Array.isArray(v)) {
          v.forEach((c) => found.push(typeof c === 'string' ? c : JSON.stringify(c)));
        } else {
          visit(v, depth + 1);
        }
      }
    };
    visit(content, 0);
    return found;
  }

  function renderArtifacts(list) {
    if (list.length === 0) {
      $('detail-artifacts').replaceChildren(el('p', { className: 'hint' }, 'No artifacts.'));
      return;
    }
    $('detail-artifacts').replaceChildren(...list.map((a) => {
      const citations = citationsOf(a.content);
      const text = a.content && typeof a.content === 'object' && typeof a.content.text === 'string' ? a.content.text : null;
      return el('div', { className: 'artifact' },
        el('div', null, el('strong', null, `${a.step} #${a.index}`), ` at position ${a.position}, ${new Date(a.timestamp).toLocaleTimeString()}`),
        text !== null ? el('p', { className: 'artifact-text' }, text) : null,
        citations.length ? el('div', null, 'Citations:', el('ul', { className: 'citations' }, ...citations.map((c) => el('li', null, c)))) : null,
        json(a.content));
    }));
  }

  // ---- wiring ---------------------------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = $('key-input').value.trim();
      if (key) start(key);
    });
    $('forget-key').addEventListener('click', () => forgetKey('not connected'));
    $('intent-form').addEventListener('submit', submitIntent);
    $('intent-type').addEventListener('change', showDescription);
    const key = keyFromFragment() || sessionStorage.getItem(KEY_STORAGE);
    if (key) start(key);
  });
})();
