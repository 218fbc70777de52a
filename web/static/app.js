// chipledger web UI: the only script, and every page works without it.
// While an alert shows a decision as pending (published, not yet back
// from the ledger), reload the page every second and a half until the
// ledger brings it back, for two minutes at most.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var box = document.querySelector("[data-pending]");
  if (!box) {
    sessionStorage.removeItem("chipledger-pending-since");
    return;
  }
  var since = Number(sessionStorage.getItem("chipledger-pending-since") || Date.now());
  sessionStorage.setItem("chipledger-pending-since", String(since));
  if (Date.now() - since > 120000) {
    return;
  }
  setTimeout(function () { window.location.reload(); }, 1500);
})();
