// Replays a recording's node ids the way rrweb's Replayer keeps them, with
// no DOM: which ids each full snapshot and mutation gives the replay, where
// it puts them, and what each remove makes it forget (the node and its
// subtree as the replay has it). Every id an event names that the replay
// would not know at that point is reported, with the event's index and
// the id's history, so a "Node with id … not found" from the Replayer can
// be traced to the event that lost the id. Also reported: a batch of
// pointer moves whose first position is earlier than an event before it,
// which the Replayer applies twice after a seek that stops on the batch.
//
//   node tests/support/stream-check.mjs events.json [more.json …]
//
// The rules are rrweb 2.2's Replayer's (applyMutation): every remove's node
// must be known before the event; removes then apply in order, one whose
// node went with an ancestor removed before it in the event is quiet;
// adds wait for their parent within the event; texts and attributes of a
// node removed in the same event are quiet.

const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const MUTATION = 0;
const MOUSE_MOVE = 1;
const TOUCH_MOVE = 6;

export function checkStream(events) {
  const problems = [];
  // id -> { parent, children: Set }
  let nodes = new Map();
  // id -> a few lines of what happened to it, for the report
  const history = new Map();
  const note = (id, line) => {
    const lines = history.get(id) ?? [];
    lines.push(line);
    if (lines.length > 8) lines.shift();
    history.set(id, lines);
  };
  const place = (id, parent) => {
    const known = nodes.get(id);
    if (known && nodes.has(known.parent)) nodes.get(known.parent).children.delete(id);
    nodes.set(id, { parent, children: known?.children ?? new Set() });
    if (nodes.has(parent)) nodes.get(parent).children.add(id);
  };
  const forget = (id) => {
    const known = nodes.get(id);
    if (!known) return;
    nodes.delete(id);
    if (nodes.has(known.parent)) nodes.get(known.parent).children.delete(id);
    for (const child of known.children) forgetSubtree(child);
  };
  const forgetSubtree = (id) => {
    const known = nodes.get(id);
    if (!known) return;
    nodes.delete(id);
    for (const child of known.children) forgetSubtree(child);
  };
  const walk = (node, parent, index) => {
    place(node.id, parent);
    note(node.id, `#${index} full snapshot`);
    for (const child of node.childNodes ?? []) walk(child, node.id, index);
  };
  const report = (index, event, what, id) => {
    const past = history.get(id) ?? ['never seen before'];
    problems.push({ index, timestamp: event.timestamp, what, id, history: past.slice() });
  };

  // The latest timestamp of the events so far, in the Replayer's order.
  let latest = -Infinity;
  let latestIndex = -1;
  // In the Replayer's order: it sorts the events by timestamp (stable);
  // `index` stays the event's place in the recording.
  const ordered = events.map((event, index) => ({ event, index })).sort((a, b) => a.event.timestamp - b.event.timestamp);
  ordered.forEach(({ event, index }) => {
    const moves = event.type === INCREMENTAL && (event.data.source === MOUSE_MOVE || event.data.source === TOUCH_MOVE);
    if (moves && event.data.positions?.length) {
      // After a seek that stopped on this event, the Replayer resumes from
      // its first position's time (timestamp + timeOffset), not from the
      // event: an earlier event later than that position is applied again
      // (a remove of a node already gone: "Node with id … not found").
      const resumesAt = event.timestamp + event.data.positions[0].timeOffset;
      if (latest > resumesAt) {
        problems.push({
          index,
          timestamp: event.timestamp,
          what: `pointer moves from ${resumesAt} come after event #${latestIndex} at ${latest}: a seek that stops on them applies that event again`,
          id: 0,
          history: [],
        });
      }
    }
    if (event.timestamp > latest) {
      latest = event.timestamp;
      latestIndex = index;
    }
    if (event.type === FULL_SNAPSHOT) {
      nodes = new Map();
      walk(event.data.node, 0, index);
      return;
    }
    if (event.type !== INCREMENTAL || event.data.source !== MUTATION) return;
    const data = event.data;
    if (data.isAttachIframe) {
      // A document in an iframe: its nodes go under the iframe's id.
      for (const add of data.adds) walk(add.node, add.parentId, index);
      return;
    }
    const removedHere = new Set(data.removes.map((r) => r.id));
    // Every remove's node must be known before the event: the Replayer
    // checks them all first, and warns for any it does not have, even one
    // whose parent goes in the same event.
    const removes = data.removes.filter((remove) => {
      if (nodes.has(remove.id)) return true;
      report(index, event, `remove of node ${remove.id} (from ${remove.parentId}) the replay does not have`, remove.id);
      return false;
    });
    for (const remove of removes) {
      // Gone with an ancestor removed earlier in this event: quiet.
      if (!nodes.has(remove.id)) continue;
      if (!nodes.has(remove.parentId)) {
        report(index, event, `remove of node ${remove.id} from parent ${remove.parentId} the replay does not have`, remove.parentId);
        continue;
      }
      const actual = nodes.get(remove.id).parent;
      if (actual !== remove.parentId) {
        report(index, event, `remove of node ${remove.id} from ${remove.parentId}, but the replay has it under ${actual}`, remove.id);
      }
      note(remove.id, `#${index} removed from ${remove.parentId}`);
      forget(remove.id);
    }
    // Adds resolve in passes: one may wait for its parent's add.
    let waiting = data.adds.slice();
    while (waiting.length) {
      const next = waiting.filter((add) => !nodes.has(add.parentId));
      for (const add of waiting) {
        if (!nodes.has(add.parentId)) continue;
        place(add.node.id, add.parentId);
        note(add.node.id, `#${index} added under ${add.parentId}`);
        for (const child of add.node.childNodes ?? []) walk(child, add.node.id, index);
      }
      if (next.length === waiting.length) {
        for (const add of next) report(index, event, `add of node ${add.node.id} under parent ${add.parentId} the replay does not have`, add.parentId);
        break;
      }
      waiting = next;
    }
    for (const text of data.texts) {
      if (!nodes.has(text.id) && !removedHere.has(text.id)) report(index, event, `text of node ${text.id} the replay does not have`, text.id);
    }
    for (const attribute of data.attributes) {
      if (!nodes.has(attribute.id) && !removedHere.has(attribute.id)) {
        report(index, event, `attributes of node ${attribute.id} the replay does not have`, attribute.id);
      }
    }
  });
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const problems = checkStream(JSON.parse(readFileSync(file, 'utf8')));
    console.log(`${file}: ${problems.length} problem(s)`);
    for (const problem of problems.slice(0, 20)) {
      failed = true;
      console.log(`  event #${problem.index} at ${problem.timestamp}: ${problem.what}\n    history: ${problem.history.join('; ')}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
