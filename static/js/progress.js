// Live progress of background jobs, without reloading the page (the CSP allows no inline
// script). An element with data-progress-url is refreshed from that JSON status endpoint
// (state, percent, queued_at, started_at, finished_at, elapsed_seconds) while the job is
// unfinished; inside it, [data-progress-bar] is a <progress>, [data-progress-text] shows
// the percentage, [data-progress-steps] the steps done of all, [data-progress-times] the times
// (the status's state_text, steps_text and times_text, already in the page's language). When the job ends, every element
// with data-refresh-on-finish is replaced by its copy from a fresh load of the page.
(function () {
  "use strict";
  const POLL_MS = 1500;

  function show(box, job) {
    box.dataset.state = job.state;
    const bar = box.querySelector("[data-progress-bar]");
    if (bar) {
      bar.value = job.percent;
      bar.textContent = `${job.percent}%`;
    }
    const text = box.querySelector("[data-progress-text]");
    if (text) text.textContent = `${job.percent}% (${job.state_text})`;
    const steps = box.querySelector("[data-progress-steps]");
    if (steps && job.steps_text) steps.textContent = job.steps_text;
    const times = box.querySelector("[data-progress-times]");
    if (times) times.textContent = job.times_text;
  }

  async function refreshFinished() {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    document.querySelectorAll("[data-refresh-on-finish]").forEach((old) => {
      const replacement = old.id && fresh.getElementById(old.id);
      if (replacement) old.replaceWith(document.adoptNode(replacement));
    });
  }

  function watch(box) {
    async function poll() {
      let job;
      try {
        const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        job = await response.json();
      } catch (_error) {
        setTimeout(poll, POLL_MS * 3);
        return;
      }
      show(box, job);
      if (job.state === "queued" || job.state === "running") {
        setTimeout(poll, POLL_MS);
      } else {
        await refreshFinished();
      }
    }
    if (box.dataset.state === "queued" || box.dataset.state === "running") poll();
  }

  document.querySelectorAll("[data-progress-url]").forEach(watch);
})();
