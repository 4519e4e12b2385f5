// Shows the user's dossier jobs for a case and polls while any is queued or running; every
// word comes from the JSON, already in the page's language.
(function () {
  "use strict";
  const POLL_MS = 2000;

  function row(job) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = job.label;
    item.appendChild(label);
    if (job.state === "queued" || job.state === "running") {
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = job.percent;
      bar.textContent = `${job.percent}%`;
      const percent = document.createElement("span");
      percent.className = "job-percent";
      percent.textContent = ` ${job.percent}%`;
      item.appendChild(document.createTextNode(" "));
      item.appendChild(bar);
      item.appendChild(percent);
      if (job.stuck) {
        const stuck = document.createElement("span");
        stuck.className = "error";
        stuck.textContent = job.stuck_text;
        item.appendChild(stuck);
      }
    } else if (job.state === "done") {
      const link = document.createElement("a");
      link.href = job.download_url;
      link.textContent = job.download_text;
      item.appendChild(link);
      if (job.sealed_download_url) {
        const sealed = document.createElement("a");
        sealed.href = job.sealed_download_url;
        sealed.textContent = job.sealed_text;
        item.appendChild(document.createTextNode(" · "));
        item.appendChild(sealed);
      }
    } else if (job.error) {
      const error = document.createElement("span");
      error.className = "error";
      error.textContent = ` — ${job.error}`;
      item.appendChild(error);
    }
    const times = document.createElement("span");
    times.className = "job-times help";
    times.textContent = ` — ${job.times_text}`;
    item.appendChild(times);
    return item;
  }

  function watch(box) {
    async function refresh() {
      let jobs;
      try {
        const response = await fetch(box.dataset.jobsUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        jobs = await response.json();
      } catch (_error) {
        setTimeout(refresh, POLL_MS * 3);
        return;
      }
      if (jobs.length) {
        const list = document.createElement("ul");
        list.className = "plain-list";
        jobs.forEach((job) => list.appendChild(row(job)));
        box.replaceChildren(list);
      }
      if (jobs.some((job) => job.state === "queued" || job.state === "running")) {
        setTimeout(refresh, POLL_MS);
      }
    }
    refresh();
  }

  document.querySelectorAll("[data-jobs-url]").forEach(watch);
})();
