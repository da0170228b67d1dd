"""A report as a printable A4 PDF, for sending as a document when the system is down (R-11, R-37):
who reports what for which period, its state and signature, the figures, and the history of
submissions, returns and approvals. Text is set in the bundled Roboto (every Vietnamese
glyph, embedded as a subset), never in a font of the machine."""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.clock import now_ict
from ioc_app.errors import WritebackError
from ioc_app.opdb.models import CellComment, Submission, Unit, User
from ioc_app.web.i18n import number, when
from ioc_app.writeback.actor import Actor
from ioc_app.writeback.approval import events
from ioc_app.writeback.entry import Grid, load_grid
from ioc_app.writeback.workbook import category_header, header_lines, label, name_of, status_name

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "Roboto"
SHOWN_HEX = 16
LANDSCAPE_FROM = 5
# key -> (Vietnamese, English), the texts only the PDF needs.
TEXTS: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO SỐ LIỆU", "FIGURES REPORT"),
    "submitted": ("Người gửi, lúc", "Submitted by, at"),
    "approved": ("Người duyệt, lúc", "Approved by, at"),
    "digest": ("Mã băm nội dung (SHA-256)", "Content digest (SHA-256)"),
    "signature": ("Chữ ký số (Ed25519)", "Signature (Ed25519)"),
    "version": ("Lần gửi", "Submission"),
    "figures": ("Số liệu", "Figures"),
    "history": ("Lịch sử gửi, trả lại và phê duyệt", "Submissions, returns and approvals"),
    "none": ("Chưa có.", "None yet."),
    "at": ("Thời điểm", "When"),
    "who": ("Người thực hiện", "By"),
    "action": ("Thao tác", "Action"),
    "level": ("Cấp", "Level"),
    "comment": ("Ý kiến", "Comment"),
    "page": ("Trang {page}/{pages}", "Page {page} of {pages}"),
    "printed": ("In lúc {at} bởi {who}", "Printed at {at} by {who}"),
}
ACTIONS: dict[str, tuple[str, str]] = {
    "save": ("Lưu nháp", "Saved"),
    "submit": ("Gửi", "Submitted"),
    "approve": ("Phê duyệt", "Approved"),
    "return": ("Trả lại", "Returned"),
    "unapprove": ("Hủy phê duyệt", "Unapproved"),
    "reopen": ("Mở lại", "Reopened"),
}


def _t(key: str, lang: str, table: dict[str, tuple[str, str]] = TEXTS) -> str:
    vi, en = table.get(key, (key, key))
    return en if lang == "en" else vi


class _Document(FPDF):
    def __init__(self, orientation: str, footer_text: str, page_text: str) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self._footer_text, self._page_text = footer_text, page_text
        self.add_font(FAMILY, "", FONTS / "Roboto-Regular.ttf")
        self.add_font(FAMILY, "B", FONTS / "Roboto-Bold.ttf")
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=16)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, self._footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, self._page_text.format(page=self.page_no(), pages=self.str_alias_nb_pages), align="R")


def _figure(value: float | None, lang: str) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return number(value, lang)
    decimals = f"{value:.3f}".rstrip("0").split(".")[1]
    return number(value, lang, len(decimals))


def _person(session: Session, user_id: int | None, username: str | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        return username or "–"
    return f"{user.full_name} ({user.username})" if user.full_name else user.username


def _short(text: str | None) -> str:
    return f"{text[:SHOWN_HEX]}…" if text else "–"


def _header_rows(session: Session, grid: Grid, submission: Submission, lang: str) -> list[tuple[str, str]]:
    rows = []
    for key, value, name in header_lines(grid, lang):
        if key in ("filled_by", "filled_on", "status"):
            continue
        rows.append((label(key, lang), f"{name} ({value})" if name and value and key != "province" else value or name))
    rows.append((label("status", lang), status_name(submission.status, lang)))
    rows.append((_t("version", lang), str(submission.version) if submission.first_submitted_at else "–"))
    rows.append((_t("submitted", lang), f"{_person(session, submission.submitted_by, submission.signed_by)}, "
                                        f"{when(submission.submitted_at, lang)}" if submission.submitted_at else "–"))
    rows.append((_t("approved", lang), f"{_person(session, submission.approved_by, None)}, "
                                       f"{when(submission.approved_at, lang)}" if submission.approved_at else "–"))
    rows.append((_t("digest", lang), _short(submission.digest)))
    rows.append((_t("signature", lang), _short(submission.signature)))
    return rows


def _history(session: Session, submission_id: int, lang: str) -> list[tuple[str, str, str, str, str]]:
    """(when, who, action, level, comment) per state change; a return lists its cell comments."""
    comments: dict[int | None, list[CellComment]] = {}
    for comment in session.scalars(select(CellComment).where(CellComment.submission_id == submission_id)
                                   .order_by(CellComment.id)):
        comments.setdefault(comment.event_id, []).append(comment)
    rows = []
    for event in events(session, submission_id):
        level = session.get(Unit, event.level_unit_id) if event.level_unit_id else None
        lines = [event.comment] if event.comment else []
        lines += [f"{comment.indicator_code} / {comment.category_code}: {comment.text}"
                  for comment in comments.get(event.id, [])]
        rows.append((when(event.at, lang), event.username, _t(event.action, lang, ACTIONS),
                     level.name if level else "", "\n".join(lines)))
    return rows


def _key_values(document: _Document, rows: list[tuple[str, str]]) -> None:
    for key, value in rows:
        document.set_font(FAMILY, "B", 9)
        document.cell(55, 5.5, key)
        document.set_font(FAMILY, "", 9)
        document.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")


def _section(document: _Document, title: str) -> None:
    document.ln(3)
    document.set_font(FAMILY, "B", 11)
    document.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    document.set_font(FAMILY, "", 8.5)


def _figures_table(document: _Document, grid: Grid, lang: str) -> None:
    columns = grid.layout.columns
    first = columns[0].code if columns else None
    widths = (18, 46, 16, *([20] * len(columns)), 34)
    heading = FontFace(emphasis="BOLD", fill_color=(221, 230, 240))
    alignment = ("LEFT", "LEFT", "LEFT", *(["RIGHT"] * len(columns)), "LEFT")
    with document.table(col_widths=widths, text_align=alignment, headings_style=heading, line_height=4.6,
                        first_row_as_headings=True) as table:
        table.row([label("indicator_code", lang), label("indicator_name", lang), label("measure", lang),
                   *[category_header(column, lang) for column in columns], label("note", lang)])
        for indicator in grid.layout.rows:
            note = grid.notes.get((indicator.code, first), "") if first else ""
            table.row([indicator.code, name_of(indicator, lang), indicator.unit,
                       *[_figure(grid.values.get((indicator.code, column.code)), lang) for column in columns],
                       note])


def _history_table(document: _Document, rows: list[tuple[str, str, str, str, str]], lang: str) -> None:
    if not rows:
        document.cell(0, 6, _t("none", lang), new_x="LMARGIN", new_y="NEXT")
        return
    heading = FontFace(emphasis="BOLD", fill_color=(221, 230, 240))
    with document.table(col_widths=(30, 30, 24, 40, 66), headings_style=heading,
                        line_height=4.6, text_align="LEFT") as table:
        table.row([_t(key, lang) for key in ("at", "who", "action", "level", "comment")])
        for row in rows:
            table.row(list(row))


def report_pdf(session: Session, actor: Actor, submission_id: int, lang: str) -> bytes:
    """The report `submission_id` as an A4 PDF; WritebackError when it does not exist or `actor` may not read it."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise WritebackError(f"no report with id {submission_id}")
    grid = load_grid(session, actor, submission.unit.code, submission.regime_code, submission.period_code)
    landscape = len(grid.layout.columns) >= LANDSCAPE_FROM
    footer = _t("printed", lang).format(at=when(now_ict(), lang), who=actor.username)
    document = _Document("L" if landscape else "P", footer, _t("page", lang))
    document.set_title(f"{grid.unit.code} {grid.regime.code} {grid.period.code}")
    document.set_creator("IOC")
    document.add_page()
    document.set_font(FAMILY, "B", 14)
    form_name = grid.form_version.form.name_en if lang == "en" else grid.form_version.form.name_vi
    document.cell(0, 8, _t("title", lang), align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font(FAMILY, "", 11)
    document.cell(0, 6, form_name, align="C", new_x="LMARGIN", new_y="NEXT")
    document.ln(2)
    _key_values(document, _header_rows(session, grid, submission, lang))
    _section(document, _t("figures", lang))
    _figures_table(document, grid, lang)
    _section(document, _t("history", lang))
    _history_table(document, _history(session, submission.id, lang), lang)
    return bytes(document.output())
