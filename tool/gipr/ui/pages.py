"""The workbench's pages (Jinja2, autoescaped) and the server-side SVG chart."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import thirdparty
from ..catalogue.access import say
from ..messages import SUBMISSION_STATUS_ZH as STATUS_ZH
from ..messages import when
from . import core
from .core import run_in_threadpool

if TYPE_CHECKING:
    import jinja2
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

HERE = Path(__file__).resolve().parent
NAV = (("/", say("ui.pages.nav")), ("/collect", say("ui.pages.nav_2")), ("/templates", say("ui.pages.nav_3")), ("/merge", say("ui.pages.nav_4")),
       ("/mail-settings", say("ui.pages.nav_5")), ("/start", say("ui.pages.nav_6")))
STATUS_ORDER = ("accepted", "errors", "unreadable", "missing")
COLORS = {"accepted": "#2e7d32", "errors": "#ef6c00", "unreadable": "#c62828", "missing": "#b0b7bf"}


def environment() -> jinja2.Environment:
    jinja = thirdparty.jinja2()
    env = jinja.Environment(loader=jinja.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                            undefined=jinja.StrictUndefined)
    env.globals.update(NAV=NAV, STATUS_ZH=STATUS_ZH, COLORS=COLORS, STATUS_ORDER=STATUS_ORDER)  # app.js: body data-status-zh
    return env


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.templates
    page = env.get_template(name).render(csrf=request.app.state.csrf, path=request.url.path, **ctx)
    return thirdparty.starlette().responses.HTMLResponse(page, status_code=status)


def error_page(request: Request, message: str, status: int) -> Response:
    return render(request, "error.html", status=status, message=message, title=say("ui.pages.error_page.title"))


def progress_svg(totals: dict[str, int]) -> Markup:
    """The progress bar: accepted / errors / unreadable / missing out of the roster, as SVG
    rectangles (the page script updates their widths)."""
    n = max(1, totals.get("units", 0))
    x = 0.0
    parts = [say("ui.pages.progress_svg.parts")]
    for k in STATUS_ORDER:
        w = 1000.0 * totals.get(k, 0) / n
        parts.append(f'<rect data-status="{k}" x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{COLORS[k]}">'
                     f"<title>{STATUS_ZH[k]} {totals.get(k, 0)}</title></rect>")
        x += w
    parts.append("</svg>")
    return Markup("".join(parts))


def category_chart(data: dict[str, Any]) -> Markup:
    """Stacked bars, one per 类别 of the roster: how many units are in each status."""
    esc = html.escape
    cats: dict[str, dict[str, int]] = {}
    for u in data["units"]:
        c = cats.setdefault(u.get("category") or say("ui.pages.category_chart.c"), dict.fromkeys(STATUS_ORDER, 0))
        c[u["status"]] += 1
    if not cats:
        return Markup("")
    bar_h, gap, left, width = 26, 12, 120, 560
    biggest = max(sum(v.values()) for v in cats.values()) or 1
    height = len(cats) * (bar_h + gap) + 40
    out = [say("ui.pages.category_chart.out", value=left + width + 60, height=height)]
    y = 10
    for cat, counts in cats.items():
        out.append(f'<text x="{left - 8}" y="{y + bar_h * 0.7:.0f}" text-anchor="end" class="lbl">{esc(cat)}</text>')
        x = float(left)
        for k in STATUS_ORDER:
            w = width * counts[k] / biggest
            if counts[k]:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLORS[k]}">'
                           f"<title>{esc(cat)}：{STATUS_ZH[k]} {counts[k]}</title></rect>")
                if w > 18:
                    out.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h * 0.7:.0f}" text-anchor="middle" '
                               f'class="num">{counts[k]}</text>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + bar_h * 0.7:.0f}" class="lbl">{sum(counts.values())}</text>')
        y += bar_h + gap
    lx = left
    for k in STATUS_ORDER:
        out.append(f'<rect x="{lx}" y="{y + 4}" width="14" height="14" fill="{COLORS[k]}"/>'
                   f'<text x="{lx + 18}" y="{y + 16}" class="lbl">{STATUS_ZH[k]}</text>')
        lx += 110
    out.append("</svg>")
    return Markup("".join(out))


def figures_chart(chart: dict[str, Any] | None) -> Markup:
    """Grouped bars: the roll-up's main figures, this year (and last year when known)."""
    if not chart or not chart.get("labels"):
        return Markup("")
    esc = html.escape
    series = [(say("ui.pages.figures_chart.series", year=chart['year']), chart["this"], "#1d4e89")]
    if chart.get("last"):
        series.insert(0, (say("ui.pages.figures_chart", value=chart['year'] - 1), chart["last"], "#9fb3c8"))
    nums = [v for _, vals, _ in series for v in vals if isinstance(v, (int, float))]
    top = max(nums or [1]) or 1
    group_w, bar_w, left, base, h = 130, 44, 20, 230, 190
    width = left + group_w * len(chart["labels"]) + 20
    out = [say("ui.pages.figures_chart.out", width=width)]
    for i, label in enumerate(chart["labels"]):
        gx = left + i * group_w
        for j, (name, vals, color) in enumerate(series):
            v = vals[i] if i < len(vals) else None
            bh = h * (v or 0) / top if isinstance(v, (int, float)) else 0
            x = gx + 10 + j * (bar_w + 4) + (0 if len(series) == 2 else bar_w / 2)
            out.append(f'<rect x="{x:.1f}" y="{base - bh:.1f}" width="{bar_w}" height="{bh:.1f}" fill="{color}">'
                       f"<title>{esc(label)} {esc(name)}：{'' if v is None else v}</title></rect>")
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{base - bh - 4:.1f}" text-anchor="middle" class="lbl">'
                       f"{'—' if v is None else v}</text>")
        out.append(f'<text x="{gx + group_w / 2:.1f}" y="{base + 18}" text-anchor="middle" class="lbl">'
                   f"{esc(label[:9])}</text>")
    lx = left
    for name, _, color in series:
        out.append(f'<rect x="{lx}" y="{base + 40}" width="14" height="14" fill="{color}"/>'
                   f'<text x="{lx + 18}" y="{base + 52}" class="lbl">{esc(name)}</text>')
        lx += 100
    out.append("</svg>")
    return Markup("".join(out))


def next_steps(data: dict[str, Any]) -> dict[str, Any]:
    """The home page's 下一步: who is missing, who is wrong, what is unassigned, what to check
    against last year, each listed with the unit (a link) and the button that acts."""

    by = {u["code"]: u for u in data["units"]}
    pick = lambda codes: [by[c] for c in codes if c in by]  # noqa: E731
    steps: dict[str, Any] = {"missing": pick(data["missing"]), "errors": pick(data["with_errors"]),
             "unreadable": pick(data["unreadable"]), "review": pick(data.get("review") or []),
             "unattached": [dict(s, received_local=when(s.get("received_at"))) for s in data["unattached"]]}
    steps["any"] = any(steps.values())
    return steps


async def home(request: Request) -> Response:
    data = await run_in_threadpool(core.status, core.root_of(request))
    cats = sorted({u.get("category") or "" for u in data["units"]} - {""})
    return render(request, "home.html", title=say("ui.pages.nav"), data=data, categories=cats, steps=next_steps(data),
                  progress=progress_svg(data["totals"]), chart=category_chart(data))


async def chart(request: Request) -> Response:
    data = await run_in_threadpool(core.status, core.root_of(request))
    return thirdparty.starlette().responses.HTMLResponse(str(category_chart(data)), media_type="image/svg+xml")


async def unit(request: Request) -> Response:
    data = await run_in_threadpool(core.unit_page, core.root_of(request), request.path_params["code"])
    return render(request, "unit.html", title=data["unit"]["name"], d=data)


async def collect(request: Request) -> Response:
    return render(request, "collect.html", title=say("ui.pages.nav_2"))


async def templates(request: Request) -> Response:
    return render(request, "templates.html", title=say("ui.pages.nav_3"))


async def merge(request: Request) -> Response:
    root = core.root_of(request)
    runs = await run_in_threadpool(core.merge_runs, root)
    run = request.query_params.get("run") or (runs[0] if runs else None)
    result = await run_in_threadpool(core.merge_result, root, run) if run else None
    options = await run_in_threadpool(core.merge_options, root, run) if result and run else None
    listed = await run_in_threadpool(core.merge_run_list, root) if len(runs) > 1 else []
    return render(request, "merge.html", title=say("ui.pages.nav_4"), runs=listed, run=run if result else None, result=result,
                  options=options,
                  figures=figures_chart(result.get("chart") if result else None))


def routes() -> list[Route]:
    route = thirdparty.starlette().routing.Route
    return [route("/", home), route("/chart/status.svg", chart), route("/unit/{code:str}", unit),
            route("/collect", collect), route("/templates", templates), route("/merge", merge)]
