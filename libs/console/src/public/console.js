// The operator console: live status over Server-Sent Events, actions through /console/api.
'use strict';
(function () {
  const KEY = 'console.adminKey';
  const $ = (id) => document.getElementById(id);
  const state = { apps: [], page: null, cursor: null, source: null, plan: null };

  const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const adminKey = () => sessionStorage.getItem(KEY);
  const headers = () => {
    const key = adminKey();
    return key ? { 'x-api-key': key } : {};
  };

  async function call(method, path, body) {
    const init = { method, headers: headers() };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const details =
        data && data.details ? data.details.map((d) => `${d.field}: ${d.problem}`).join('; ') : '';
      throw new Error(
        `${response.status} ${(data && data.message) || response.statusText}${details && !String(data.message).includes(details) ? ` (${details})` : ''}`,
      );
    }
    return data;
  }

  // Session: the key opens a token for the event stream (an EventSource sends no headers).
  async function connect() {
    $('key-error').textContent = '';
    let session;
    try {
      session = await call('POST', '/console/session');
    } catch (error) {
      sessionStorage.removeItem(KEY);
      $('key-form').hidden = false;
      $('main').hidden = true;
      $('key-error').textContent = `Not connected: ${error.message}`;
      return;
    }
    $('key-form').hidden = true;
    $('main').hidden = false;
    if (state.source) state.source.close();
    const source = new EventSource(`/console/events?token=${encodeURIComponent(session.token)}`);
    state.source = source;
    source.addEventListener('status', (event) => {
      const data = JSON.parse(event.data);
      state.apps = data.apps;
      $('live').textContent = `live · ${new Date(data.at).toLocaleTimeString()}`;
      renderApps();
      renderStreamChoices();
      renderOffsetChoices();
    });
    source.onerror = () => {
      $('live').textContent = 'reconnecting…';
      // An expired token cannot reconnect: a fresh session is opened instead.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
      else {
        source.close();
        setTimeout(connect, 2000);
      }
    };
  }

  function renderApps() {
    const focused = document.activeElement && document.activeElement.dataset.focus;
    $('apps').innerHTML = state.apps.map(renderApp).join('');
    if (focused) {
      const again = document.querySelector(`[data-focus="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  function renderApp(app) {
    if (!app.status) {
      return `<article class="app" data-app="${esc(app.name)}"><h3>${esc(app.name)} <span class="badge down">down</span></h3>
        <p class="error">${esc(app.error || 'no status')}</p><p class="muted">${esc(app.url)}</p></article>`;
    }
    const s = app.status;
    const deps = Object.entries(s.dependencies || {})
      .map(
        ([name, up]) =>
          `<span class="badge ${up ? 'up' : 'down'}">${esc(name)}: ${up ? 'ready' : 'not ready'}</span>`,
      )
      .join(' ');
    const streams = (s.streams || []).map((stream) => renderStream(app.name, stream)).join('');
    const queues = Object.entries(s.workQueues || {})
      .map(
        ([name, q]) =>
          `<tr><td>${esc(name)}</td><td>${q.depth}</td><td>${q.lastFlushAt ? esc(new Date(q.lastFlushAt).toLocaleTimeString()) : '–'}</td><td>${q.flushFailures}</td></tr>`,
      )
      .join('');
    const spools = Object.entries(s.spools || {})
      .map(
        ([name, sp]) =>
          `<tr><td>${esc(name)}</td><td>${sp.depth}</td><td>${sp.bytes}</td><td>${sp.oldestEventAgeSeconds}s</td><td>${esc(sp.breaker)}</td></tr>`,
      )
      .join('');
    return `<article class="app" data-app="${esc(app.name)}">
      <h3>${esc(app.name)} <span class="badge ${s.ready ? 'up' : 'down'}">${s.ready ? 'ready' : 'not ready'}</span>
        ${s.broker ? `<span class="muted">${esc(s.broker.name)}${s.broker.group ? ` · ${esc(s.broker.group)}` : ''}</span>` : ''}</h3>
      <p>${deps}</p>
      ${streams}
      ${queues ? `<table><caption>Work queues</caption><thead><tr><th scope="col">Queue</th><th scope="col">Depth</th><th scope="col">Last flush</th><th scope="col">Failures</th></tr></thead><tbody>${queues}</tbody></table>` : ''}
      ${spools ? `<table><caption>Spool</caption><thead><tr><th scope="col">Spool</th><th scope="col">Depth</th><th scope="col">Bytes</th><th scope="col">Oldest</th><th scope="col">Breaker</th></tr></thead><tbody>${spools}</tbody></table>` : ''}
    </article>`;
  }

  function renderStream(appName, stream) {
    const parts = (stream.partitions || [])
      .filter((p) => p.assigned !== false)
      .map(
        (p) =>
          `<tr data-partition="${p.partition}"><td>${p.partition}</td><td class="committed">${esc(p.committed ?? '–')}</td><td>${esc(p.fetched ?? '–')}</td><td class="lag">${esc(p.lag ?? '–')}</td><td>${esc(p.inFlight ?? 0)}</td><td>${esc((p.pausedBy || []).join(', '))}</td></tr>`,
      )
      .join('');
    const action = stream.paused ? 'resume' : 'pause';
    const id = `${appName}/${stream.stream}`;
    return `<div class="stream" data-stream="${esc(id)}">
      <h4>${esc(stream.stream)} ${stream.paused ? '<span class="badge paused">paused</span>' : ''}
        <span class="badge" title="dead letters">DLT ${stream.deadLetters ?? '?'}</span>
        <button type="button" data-focus="${esc(`${id}:control`)}" data-action="${action}" data-app-name="${esc(appName)}" data-stream-name="${esc(stream.stream)}">${stream.paused ? 'Resume' : 'Pause'}</button></h4>
      ${parts ? `<table><caption class="visually-hidden">Partitions of ${esc(stream.stream)}</caption><thead><tr><th scope="col">Partition</th><th scope="col">Committed</th><th scope="col">Fetched</th><th scope="col">Lag</th><th scope="col">In flight</th><th scope="col">Paused by</th></tr></thead><tbody>${parts}</tbody></table>` : '<p class="muted">no partitions assigned</p>'}
    </div>`;
  }

  function streamChoices() {
    const choices = [];
    for (const app of state.apps) {
      for (const stream of (app.status && app.status.streams) || []) {
        choices.push({
          value: `${app.name}/${stream.stream}`,
          app: app.name,
          stream: stream.stream,
          count: stream.deadLetters,
        });
      }
    }
    return choices;
  }

  function renderStreamChoices() {
    const select = $('dl-stream');
    const current = select.value;
    const choices = streamChoices();
    const wanted = choices.map((c) => c.value).join('|');
    if (select.dataset.choices !== wanted) {
      select.innerHTML = choices
        .map((c) => `<option value="${esc(c.value)}">${esc(c.app)} · ${esc(c.stream)}</option>`)
        .join('');
      select.dataset.choices = wanted;
      if (choices.some((c) => c.value === current)) select.value = current;
    }
    const chosen = choice();
    $('dl-replay-all').disabled = $('dl-purge').disabled = !chosen;
  }

  const choice = () => streamChoices().find((c) => c.value === $('dl-stream').value);

  function isoOf(id) {
    const value = $(id).value;
    return value ? new Date(value).toISOString() : '';
  }

  async function loadLetters(cursor) {
    const chosen = choice();
    if (!chosen) return;
    const params = new URLSearchParams({
      stream: chosen.stream,
      limit: $('dl-limit').value || '50',
    });
    if ($('dl-error-class').value.trim())
      params.set('errorClass', $('dl-error-class').value.trim());
    if (isoOf('dl-from')) params.set('from', isoOf('dl-from'));
    if (isoOf('dl-to')) params.set('to', isoOf('dl-to'));
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await call(
        'GET',
        `/console/api/apps/${encodeURIComponent(chosen.app)}/dead-letters?${params}`,
      );
      state.page = { ...chosen, items: page.items };
      state.cursor = page.nextCursor;
      renderLetters();
      message(
        `${page.items.length} dead letter(s) on this page${page.nextCursor ? '; more on the next' : ''}.`,
      );
    } catch (error) {
      message(error.message, true);
    }
  }

  function renderLetters() {
    const items = state.page ? state.page.items : [];
    $('dl-rows').innerHTML = items
      .map(
        (l) => `<tr data-id="${esc(l.id)}">
        <td><input type="checkbox" class="dl-select" value="${esc(l.id)}" aria-label="Select ${esc(l.id)}" /></td>
        <td><code>${esc(l.id)}</code></td><td class="error-class">${esc(l.error && l.error.class)}</td>
        <td>${esc(l.error && l.error.message)}</td><td>${l.attempts}</td>
        <td>${esc(new Date(l.lastFailedAt).toLocaleString())}</td>
        <td>${esc(l.source ? `${l.source.topic}[${l.source.partition}]@${l.source.offset}` : '')}</td>
        <td><button type="button" class="dl-open" data-id="${esc(l.id)}">Open</button></td></tr>`,
      )
      .join('');
    $('dl-next').hidden = !state.cursor;
    $('dl-select-all').checked = false;
    $('dl-detail').hidden = true;
    updateSelection();
  }

  function selectedIds() {
    return [...document.querySelectorAll('.dl-select:checked')].map((box) => box.value);
  }

  function updateSelection() {
    const n = selectedIds().length;
    $('dl-replay-selected').disabled = n === 0;
    $('dl-replay-selected').textContent = n ? `Replay selected (${n})` : 'Replay selected';
  }

  function message(text, isError) {
    $('dl-message').textContent = text;
    $('dl-message').className = isError ? 'error' : '';
  }

  function confirmAction(text) {
    return new Promise((resolve) => {
      const dialog = $('confirm');
      $('confirm-text').textContent = text;
      dialog.returnValue = '';
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.showModal();
    });
  }

  async function openLetter(id) {
    const page = state.page;
    try {
      const letter = await call(
        'GET',
        `/console/api/apps/${encodeURIComponent(page.app)}/dead-letters/${encodeURIComponent(id)}?stream=${encodeURIComponent(page.stream)}`,
      );
      $('dl-detail-title').textContent =
        `Dead letter ${letter.id} (${letter.error.class}: ${letter.error.message})`;
      $('dl-payload').textContent = JSON.stringify(letter.payload, null, 2);
      $('dl-headers').textContent = JSON.stringify(letter.headers, null, 2);
      $('dl-detail').hidden = false;
    } catch (error) {
      message(error.message, true);
    }
  }

  async function replay(ids) {
    const chosen = choice();
    if (!chosen) return;
    const what = ids
      ? `${ids.length} selected dead letter(s)`
      : `all ${chosen.count ?? ''} dead letter(s)`.replace('  ', ' ');
    if (
      !ids &&
      !(await confirmAction(
        `Replay ${what} of ${chosen.stream} (${chosen.app})? They are published to ${chosen.stream} again with their attempts reset.`,
      ))
    )
      return;
    try {
      const body = ids ? { stream: chosen.stream, ids } : { stream: chosen.stream };
      const result = await call(
        'POST',
        `/console/api/apps/${encodeURIComponent(chosen.app)}/dead-letters/replay`,
        body,
      );
      await loadLetters();
      message(`Replayed ${result.replayed} dead letter(s) to ${chosen.stream}.`);
    } catch (error) {
      message(error.message, true);
    }
  }

  async function purge() {
    const chosen = choice();
    if (!chosen) return;
    // The status's depth may trail the listing by a moment: the larger of the two is shown.
    const page =
      state.page && state.page.app === chosen.app && state.page.stream === chosen.stream
        ? state.page
        : null;
    const listed = page ? page.items.length : 0;
    const known = typeof chosen.count === 'number' ? chosen.count : null;
    const n = Math.max(known ?? 0, listed);
    const count =
      known === null && !listed
        ? 'all'
        : state.cursor && page && n === listed
          ? `at least ${n}`
          : String(n);
    const ok = await confirmAction(
      `Purge ${count} dead letter(s) of ${chosen.stream} (${chosen.app})? They are deleted and cannot be replayed afterwards.`,
    );
    if (!ok) return;
    try {
      const result = await call(
        'DELETE',
        `/console/api/apps/${encodeURIComponent(chosen.app)}/dead-letters?stream=${encodeURIComponent(chosen.stream)}`,
      );
      await loadLetters();
      message(`Purged ${result.purged} dead letter(s) of ${chosen.stream}.`);
    } catch (error) {
      message(error.message, true);
    }
  }

  // Offsets: only Kafka streams have offsets an operator can move.
  function offsetChoices() {
    return streamChoices().filter((c) => {
      const app = state.apps.find((a) => a.name === c.app);
      return app && app.status && app.status.broker && app.status.broker.name === 'kafka';
    });
  }

  function renderOffsetChoices() {
    const select = $('offsets-stream');
    const current = select.value;
    const choices = offsetChoices();
    const wanted = choices.map((c) => c.value).join('|');
    if (select.dataset.choices === wanted) return;
    select.innerHTML = choices
      .map((c) => `<option value="${esc(c.value)}">${esc(c.app)} · ${esc(c.stream)}</option>`)
      .join('');
    select.dataset.choices = wanted;
    if (choices.some((c) => c.value === current)) select.value = current;
    $('offsets-dry-run').disabled = choices.length === 0;
    if (choices.length === 0) offsetsMessage('No stream with offsets to move (Kafka only).');
  }

  function offsetsMessage(text, isError) {
    $('offsets-message').textContent = text;
    $('offsets-message').className = isError ? 'error' : '';
  }

  /** The chosen target as the admin route takes it, or null (with a message) when incomplete. */
  function offsetTarget() {
    const kind = $('offsets-to').value;
    if (kind !== 'time') return kind;
    const value = $('offsets-time').value;
    if (!value) {
      offsetsMessage('Choose a time to move to.', true);
      return null;
    }
    return new Date(value).toISOString();
  }

  async function moveOffsets(dryRun) {
    const chosen = offsetChoices().find((c) => c.value === $('offsets-stream').value);
    const to = dryRun ? offsetTarget() : state.plan && state.plan.to;
    if (!chosen || !to) return;
    if (!dryRun) {
      const records = state.plan.partitions.reduce((sum, p) => sum + p.records, 0);
      const effect =
        records < 0
          ? `${-records} record(s) are read again (those already applied within the de-duplication window are skipped)`
          : `${records} record(s) are skipped for good`;
      const ok = await confirmAction(
        `Move the offsets of ${chosen.stream} (${chosen.app}, ${state.plan.partitions.length} partition(s)) to ${to}? ${effect}.`,
      );
      if (!ok) return;
    }
    try {
      const plan = await call(
        'POST',
        `/console/api/apps/${encodeURIComponent(chosen.app)}/streams/${encodeURIComponent(chosen.stream)}/offsets`,
        { to, dryRun },
      );
      state.plan = dryRun ? { ...plan, app: chosen.app } : null;
      $('offsets-rows').innerHTML = plan.partitions
        .map(
          (p) =>
            `<tr data-partition="${p.partition}"><td>${p.partition}</td><td class="current">${esc(p.current)}</td><td class="target">${esc(p.target)}</td><td class="records">${p.records > 0 ? '+' : ''}${p.records}</td><td>${esc(p.earliest)}</td><td>${esc(p.latest)}</td></tr>`,
        )
        .join('');
      $('offsets-plan').hidden = false;
      $('offsets-apply').hidden = !dryRun;
      offsetsMessage(
        dryRun
          ? `Dry run: where ${chosen.stream} (${chosen.app}) would move to ${plan.to}. Nothing changed yet.`
          : `Moved the offsets of ${chosen.stream} (${chosen.app}) to ${plan.to}.`,
      );
    } catch (error) {
      offsetsMessage(error.message, true);
    }
  }

  async function control(button) {
    const { action, appName, streamName } = button.dataset;
    try {
      await call(
        'POST',
        `/console/api/apps/${encodeURIComponent(appName)}/streams/${encodeURIComponent(streamName)}/${action}`,
      );
      message(`${streamName} (${appName}): ${action === 'pause' ? 'paused' : 'resumed'}.`);
    } catch (error) {
      message(error.message, true);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, $('admin-key').value);
      $('admin-key').value = '';
      void connect();
    });
    $('forget-key').addEventListener('click', () => {
      sessionStorage.removeItem(KEY);
      if (state.source) state.source.close();
      $('main').hidden = true;
      $('key-form').hidden = false;
      $('live').textContent = 'not connected';
    });
    $('dl-filter').addEventListener('submit', (event) => {
      event.preventDefault();
      void loadLetters();
    });
    $('dl-next').addEventListener('click', () => void loadLetters(state.cursor));
    $('offsets-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void moveOffsets(true);
    });
    $('offsets-apply').addEventListener('click', () => void moveOffsets(false));
    for (const id of ['offsets-stream', 'offsets-to', 'offsets-time'])
      $(id).addEventListener('change', () => {
        state.plan = null;
        $('offsets-apply').hidden = true;
      });
    $('dl-replay-selected').addEventListener('click', () => void replay(selectedIds()));
    $('dl-replay-all').addEventListener('click', () => void replay());
    $('dl-purge').addEventListener('click', () => void purge());
    $('dl-select-all').addEventListener('change', (event) => {
      for (const box of document.querySelectorAll('.dl-select')) box.checked = event.target.checked;
      updateSelection();
    });
    $('dl-rows').addEventListener('change', updateSelection);
    $('dl-rows').addEventListener('click', (event) => {
      const button = event.target.closest('.dl-open');
      if (button) void openLetter(button.dataset.id);
    });
    $('apps').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (button) void control(button);
    });
    // A key is asked for once per tab; where admin routes are open, an empty key connects.
    if (adminKey() === null) $('key-form').hidden = false;
    else void connect();
  });
})();
