/* Live updates in place (issue 12.9).
 *
 * A page marks the part that changes with `data-live-region` and htmx attributes (htmx ships
 * with unfold): every few seconds htmx fetches the same URL (its filters and page included)
 * and swaps that part for the fresh one, nothing else; scroll, open filters and focus stay.
 * This file only decides when (not while paused, hidden, typing or with rows selected), keeps
 * each chart's canvas, handing it the new figures instead of drawing it anew, and keeps what
 * the operator's own action put in a `data-live-keep` slot (a run-now's outcome), which the
 * fresh page, knowing nothing of it, would show empty.
 */
(function () {
	const KEY = "console-live";

	window.consoleLive = function () {
		if (localStorage.getItem(KEY) === "off" || document.hidden) return false;
		const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
		const selected = document.querySelector("input.action-select:checked");
		const dialog = document.querySelector("[data-live-busy]");
		return !(typing || selected || dialog);
	};

	window.consoleLiveToggle = function (on) {
		localStorage.setItem(KEY, on ? "on" : "off");
	};

	window.consoleLiveOn = function () {
		return localStorage.getItem(KEY) !== "off";
	};

	const kept = new WeakMap(); // the region being swapped -> its chart canvases, in order
	const slots = new WeakMap(); // the region being swapped -> its filled keep-slots, by key

	document.addEventListener("htmx:beforeSwap", (event) => {
		const region = event.detail.target;
		if (!region?.matches?.("[data-live-region]")) return;
		const marker = `data-live-region="${region.dataset.liveRegion}"`;
		if (!event.detail.xhr.responseText.includes(marker)) {
			event.detail.shouldSwap = false; // a login page or another page: keep what is shown
			return;
		}
		kept.set(region, [...region.querySelectorAll("canvas.chart")]);
		const filled = [...region.querySelectorAll("[data-live-keep]")].filter((slot) => slot.childElementCount);
		slots.set(region, new Map(filled.map((slot) => [slot.dataset.liveKeep, slot])));
	});

	document.addEventListener("htmx:afterSwap", (event) => {
		const old = event.detail.target;
		const canvases = kept.get(old);
		const region = document.querySelector(`[data-live-region="${old.dataset.liveRegion}"]`);
		for (const [key, slot] of slots.get(old) || []) {
			region?.querySelector(`[data-live-keep="${CSS.escape(key)}"]`)?.replaceWith(slot);
		}
		if (!canvases || !region || typeof Chart === "undefined") return;
		region.querySelectorAll("canvas.chart").forEach((fresh, i) => {
			const chart = canvases[i] && Chart.getChart(canvases[i]);
			if (!chart) return;
			chart.data = JSON.parse(fresh.dataset.value);
			fresh.replaceWith(canvases[i]);
			chart.update("none");
		});
		document.dispatchEvent(new CustomEvent("console:live-updated", { detail: { region } }));
	});
})();
