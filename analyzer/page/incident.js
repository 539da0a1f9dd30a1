/* The incident page (analyzer/render_html.c puts it inline): draws the
 * flame graph, the run's plot and the trend's suspects from the JSON in
 * #data. What it drew is summed up in #state (JSON), for tests and tools.
 * URL fragment: #search=REGEX&zoom=FUNCTION applies both at load. */
(function () {
        'use strict';
        var NS = 'http://www.w3.org/2000/svg';
        var data = JSON.parse(document.getElementById('data').textContent);
        var state = { frames: 0, zoom: null, search: '', highlighted: [], highlighted_box: null, matched_bytes: 0,
                      usage_points: 0, usage_box: null, heap_points: 0, heap_box: null, marks: {}, kill_marker: false,
                      kill_box: null, suspects: 0 };

        function el(name, attrs, parent) {
                var e = document.createElementNS(NS, name);
                for (var k in attrs)
                        e.setAttribute(k, attrs[k]);
                if (parent)
                        parent.appendChild(e);
                return e;
        }
        function clear(e) {
                while (e.firstChild)
                        e.removeChild(e.firstChild);
        }
        function iec(b) {
                var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], a = Math.abs(b), i = 0;
                while (a >= 1024 && i < u.length - 1) {
                        a /= 1024;
                        i++;
                }
                return (b < 0 ? '-' : '') + (i ? a.toFixed(1) : a.toFixed(0)) + ' ' + u[i];
        }
        function pct(v, of) {
                return of > 0 ? (100 * v / of).toFixed(2) + '%' : '-';
        }
        function publish() {
                document.getElementById('state').textContent = JSON.stringify(state);
        }
        /* where e is on the page, in CSS pixels: for a test's screenshot */
        function box(e) {
                var r = e.getBoundingClientRect();
                return { x: Math.round(r.left + window.scrollX), y: Math.round(r.top + window.scrollY),
                         w: Math.round(r.width), h: Math.round(r.height) };
        }

        /* ---- flame graph -------------------------------------------------- */
        var nodes = [], root = null, zoomed = null, maxDepth = 0, total = 0;
        (function build() {
                var stack = [];
                (data.flame || []).forEach(function (f) {
                        var n = { name: f[1] < 0 ? 'all' : data.names[f[1]], v: f[2], depth: f[0],
                                  children: [], parent: null };
                        while (stack.length > f[0])
                                stack.pop();
                        if (stack.length) {
                                n.parent = stack[stack.length - 1];
                                n.parent.children.push(n);
                        }
                        stack.push(n);
                        nodes.push(n);
                        if (n.depth > maxDepth)
                                maxDepth = n.depth;
                });
                root = zoomed = nodes[0] || null;
                total = root ? root.v : 0;
        })();

        var FW = 1200, ROW = 17;
        var flame = document.getElementById('flame');
        var details = document.getElementById('details');
        var drawn = [];

        function color(name) {
                var h = 0;
                for (var i = 0; i < name.length; i++)
                        h = (h * 31 + name.charCodeAt(i)) >>> 0;
                return 'rgb(' + (205 + h % 50) + ',' + ((h >>> 8) % 180) + ',' + ((h >>> 16) % 55) + ')';
        }
        function layout(n, x0, x1) {
                n.x0 = x0;
                n.x1 = x1;
                var x = x0, scale = n.v > 0 ? (x1 - x0) / n.v : 0;
                n.children.forEach(function (c) {
                        var w = c.v * scale;
                        layout(c, x, x + w);
                        x += w;
                });
        }
        function showDetails(n) {
                var line = n.name + ' \u2014 \u2248' + iec(n.v) + ' (' + Math.round(n.v) + ' bytes), ' +
                           pct(n.v, total) + ' of the growth';
                if (zoomed && zoomed !== root && zoomed !== n)
                        line += ', ' + pct(n.v, zoomed.v) + ' of ' + zoomed.name;
                details.textContent = line;
        }
        function drawFlame() {
                clear(flame);
                drawn = [];
                if (!root || total <= 0) {
                        flame.setAttribute('viewBox', '0 0 ' + FW + ' 40');
                        var t = el('text', { x: 10, y: 24 }, flame);
                        t.textContent = 'No growth to show.';
                        state.frames = 0;
                        return;
                }
                var H = (maxDepth + 1) * ROW + 4;
                flame.setAttribute('viewBox', '0 0 ' + FW + ' ' + H);
                flame.setAttribute('height', H);
                var path = [];
                for (var a = zoomed; a; a = a.parent)
                        path.unshift(a);
                path.forEach(function (p) {
                        p.x0 = 0;
                        p.x1 = FW;
                });
                layout(zoomed, 0, FW);
                function drawNode(n, ancestor) {
                        var w = n.x1 - n.x0;
                        if (w < 0.3)
                                return false;
                        var y = H - (n.depth + 1) * ROW;
                        var g = el('g', { 'class': 'frame' + (ancestor ? ' ancestor' : '') }, flame);
                        g.setAttribute('data-name', n.name);
                        el('title', {}, g).textContent = n.name + ' (\u2248' + iec(n.v) + ', ' + Math.round(n.v) +
                                                         ' bytes, ' + pct(n.v, total) + ')';
                        n.rect = el('rect', { x: n.x0.toFixed(1), y: y, width: w.toFixed(1), height: ROW - 1,
                                              rx: 2, ry: 2, fill: n === root ? 'rgb(220,160,60)' : color(n.name) }, g);
                        var fit = Math.floor((w - 6) / 7);
                        if (fit >= 3) {
                                var label = n.name.length <= fit ? n.name : n.name.slice(0, fit - 2) + '..';
                                el('text', { x: (n.x0 + 3).toFixed(1), y: y + ROW - 5 }, g).textContent = label;
                        }
                        g.addEventListener('click', function () { zoomTo(n); });
                        g.addEventListener('mouseover', function () { showDetails(n); });
                        n.g = g;
                        drawn.push(n);
                        return true;
                }
                path.slice(0, -1).forEach(function (p) { drawNode(p, true); });
                (function walk(n) {
                        if (drawNode(n, false))
                                n.children.forEach(walk);
                })(zoomed);
                state.frames = drawn.length;
                state.zoom = zoomed === root ? null : zoomed.name;
                applySearch();
        }
        function zoomTo(n) {
                zoomed = n || root;
                drawFlame();
                showDetails(zoomed);
                publish();
        }
        function applySearch() {
                var text = document.getElementById('search').value, re = null;
                state.search = text;
                if (text) {
                        try {
                                re = new RegExp(text, 'i');
                        } catch (e) {
                                var lit = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
                                re = new RegExp(lit, 'i');
                        }
                }
                var names = {}, bytes = 0;
                drawn.forEach(function (n) {
                        var hit = re !== null && n !== root && re.test(n.name);
                        n.g.classList.toggle('match', hit);
                        n.match = hit;
                });
                /* bytes of matched frames, not counted twice under a matched caller */
                drawn.forEach(function (n) {
                        if (!n.match)
                                return;
                        names[n.name] = true;
                        for (var a = n.parent; a; a = a.parent)
                                if (a.match)
                                        return;
                        bytes += n.v;
                });
                state.highlighted = Object.keys(names).sort();
                var first = drawn.filter(function (n) { return n.match; })[0];
                state.highlighted_box = first ? box(first.rect) : null;
                state.matched_bytes = Math.round(bytes);
                document.getElementById('matched').textContent =
                        re ? 'Matched: \u2248' + iec(bytes) + ' (' + pct(bytes, zoomed ? zoomed.v : 0) + ')' : '';
        }
        document.getElementById('search').addEventListener('input', function () {
                applySearch();
                publish();
        });
        document.getElementById('reset').addEventListener('click', function () { zoomTo(root); });

        /* ---- the run's plot ------------------------------------------------ */
        function drawRun() {
                var svg = document.getElementById('run'), run = data.run || {};
                var usage = run.usage || [], heap = run.heap || [], marks = run.marks || [];
                var W = 1200, H = 340, L = 78, R = 20, T = 26, B = 38;
                clear(svg);
                svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
                svg.setAttribute('height', H);
                var tmax = 1, ymax = data.limit || 0;
                usage.concat(heap).forEach(function (p) {
                        tmax = Math.max(tmax, p[0]);
                        ymax = Math.max(ymax, p[1]);
                });
                marks.forEach(function (m) { tmax = Math.max(tmax, m.t); });
                ymax = ymax > 0 ? ymax * 1.08 : 1;
                function X(t) { return L + (W - L - R) * t / tmax; }
                function Y(b) { return H - B - (H - T - B) * b / ymax; }
                var axis = el('g', { 'class': 'axis' }, svg);
                /* round steps: 1, 2 or 5 times a power of ten of a unit */
                function nice(raw, base) {
                        var unit = 1;
                        while (raw >= unit * base)
                                unit *= base;
                        var m = raw / unit, p = 1;
                        while (m > p * 10)
                                p *= 10;
                        return unit * p * (m <= p ? 1 : m <= 2 * p ? 2 : m <= 5 * p ? 5 : 10);
                }
                var ystep = nice(ymax / 5, 1024), tstep = nice(tmax / 6, 1000);
                for (var b = 0; b <= ymax; b += ystep) {
                        var y = Y(b);
                        el('line', { 'class': 'grid', x1: L, x2: W - R, y1: y, y2: y }, axis);
                        el('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, axis).textContent = iec(b);
                }
                for (var t = 0; t <= tmax; t += tstep) {
                        var x = X(t);
                        el('line', { x1: x, x2: x, y1: H - B, y2: H - B + 4 }, axis);
                        el('text', { x: x, y: H - B + 16, 'text-anchor': 'middle' }, axis).textContent =
                                (t / 1000).toFixed(tstep < 1000 ? 1 : 0) + ' s';
                }
                el('line', { x1: L, x2: W - R, y1: H - B, y2: H - B }, axis);
                el('line', { x1: L, x2: L, y1: T, y2: H - B }, axis);
                el('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }, axis).textContent =
                        'time since the first start';
                if (data.limit) {
                        el('line', { 'class': 'limit', x1: L, x2: W - R, y1: Y(data.limit), y2: Y(data.limit) }, svg);
                        el('text', { x: L + 6, y: Y(data.limit) - 5 }, svg).textContent = 'limit ' + iec(data.limit);
                }
                state.marks = {};
                var nthr = 0;
                /* the OOM kill on top of what happened at the same moment (the exit) */
                marks = marks.slice().sort(function (a, b) { return (a.kind === 'oom') - (b.kind === 'oom'); });
                marks.forEach(function (m) {
                        var x = X(m.t), top = m.kind === 'dump' || m.kind === 'baseline' ? H - B - 14 : T;
                        var line = el('line', { 'class': 'mark mark-' + m.kind, x1: x, x2: x, y1: top, y2: H - B }, svg);
                        el('title', {}, line).textContent = m.label + ' at ' + (m.t / 1000).toFixed(2) + ' s';
                        if (m.kind === 'oom' || m.kind === 'restart' || m.kind === 'threshold') {
                                /* near the right edge the label goes to the left of its line */
                                var right = x > W - R - 90;
                                var lab = el('text', { 'class': 'mark-label ' + m.kind, x: right ? x - 4 : x + 4,
                                                       'text-anchor': right ? 'end' : 'start',
                                                       y: m.kind === 'oom' ? T + 12 : m.kind === 'restart' ? T + 26
                                                                                   : T + 40 + 12 * (nthr++ % 3) }, svg);
                                lab.textContent = m.kind === 'oom' ? 'OOM kill' : m.kind === 'threshold'
                                                  ? m.label.replace(/ of the limit$/, '') : m.label;
                        }
                        /* this incident's kill: the last one (earlier runs' come first) */
                        if (m.kind === 'oom')
                                state.kill_box = box(line);
                        state.marks[m.kind] = (state.marks[m.kind] || 0) + 1;
                });
                state.kill_marker = !!state.marks.oom;
                function series(pts, cls) {
                        if (!pts.length)
                                return 0;
                        var line = el('polyline', { 'class': cls, points: pts.map(function (p) {
                                return X(p[0]).toFixed(1) + ',' + Y(p[1]).toFixed(1);
                        }).join(' ') }, svg);
                        state[cls + '_box'] = box(line);
                        pts.forEach(function (p) {
                                var c = el('circle', { 'class': cls + '-pt', cx: X(p[0]).toFixed(1), cy: Y(p[1]).toFixed(1),
                                                       r: cls === 'usage' ? 2.2 : 3.2 }, svg);
                                el('title', {}, c).textContent = (cls === 'usage' ? 'cgroup usage ' : 'heap (dump) ') +
                                                                 iec(p[1]) + ' at ' + (p[0] / 1000).toFixed(2) + ' s';
                        });
                        return pts.length;
                }
                state.usage_points = series(usage, 'usage');
                state.heap_points = series(heap, 'heap');
                var legend = document.getElementById('legend');
                legend.innerHTML = '';
                [['#1f5fbf', 'cgroup usage (' + usage.length + ' samples)'], ['#2e9e44', 'heap total per dump'],
                 ['#d00', 'limit, OOM kill'], ['#e08000', 'thresholds'], ['#6040c0', 'restarts'], ['#999', 'dumps']]
                        .forEach(function (l) {
                                var s = document.createElement('span'), i = document.createElement('i');
                                i.style.background = l[0];
                                s.appendChild(i);
                                s.appendChild(document.createTextNode(l[1]));
                                legend.appendChild(s);
                        });
        }

        /* ---- trend suspects ------------------------------------------------- */
        function drawSuspects() {
                var box = document.getElementById('suspects'), list = data.suspects || [];
                clear(box);
                if (!list.length) {
                        var p = document.createElement('p');
                        p.className = 'none';
                        p.textContent = data.trend_note || 'No trend: it needs three dumps or more of the process.';
                        box.appendChild(p);
                }
                list.forEach(function (s) {
                        var card = document.createElement('div'), name = document.createElement('div'),
                            facts = document.createElement('div');
                        card.className = 'suspect';
                        name.className = 'name';
                        name.textContent = s['function'];
                        facts.className = 'facts';
                        facts.textContent = (s.suspect ? 'suspect, ' : '') + 'score ' + s.score.toFixed(2) + ', +' +
                                            iec(s.growth_bytes) + ' over ' + s.series.length + ' dumps';
                        card.appendChild(name);
                        card.appendChild(facts);
                        var svg = el('svg', { 'class': 'spark', viewBox: '0 0 260 56' }, card);
                        var ys = s.series, mx = Math.max.apply(null, ys.concat([1])), n = ys.length;
                        var pts = ys.map(function (v, i) {
                                return [6 + 248 * (n > 1 ? i / (n - 1) : 0.5), 50 - 44 * Math.max(v, 0) / mx];
                        });
                        el('polyline', { points: pts.map(function (p) { return p[0].toFixed(1) + ',' + p[1].toFixed(1); }).join(' ') }, svg);
                        pts.forEach(function (p, i) {
                                el('title', {}, el('circle', { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: 2.2 }, svg))
                                        .textContent = 'dump ' + (i + 1) + ': ' + iec(ys[i]);
                        });
                        box.appendChild(card);
                });
                state.suspects = list.length;
        }

        /* ---- start ----------------------------------------------------------- */
        var hash = {};
        location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
                var i = kv.indexOf('=');
                if (i > 0)
                        hash[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
        });
        if (hash.search)
                document.getElementById('search').value = hash.search;
        drawFlame();
        if (hash.zoom) {
                for (var i = 0; i < nodes.length; i++)
                        if (nodes[i].name === hash.zoom) {
                                zoomTo(nodes[i]);
                                break;
                        }
        }
        drawRun();
        drawSuspects();
        publish();
        window.oomwatchPage = { state: state, zoom: function (name) {
                for (var i = 0; i < nodes.length; i++)
                        if (nodes[i].name === name)
                                return zoomTo(nodes[i]);
                zoomTo(root);
        }, search: function (text) {
                document.getElementById('search').value = text;
                applySearch();
                publish();
        } };
})();
