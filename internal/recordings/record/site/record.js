// Stock rrweb, as a third-party site would run it: record() with every
// default, and an emit that keeps the events for the recording program to
// collect.
window.fixtureEvents = [];
rrweb.record({
  emit(event) {
    window.fixtureEvents.push(event);
  },
});
