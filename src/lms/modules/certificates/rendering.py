"""The certificate PDF: landscape A4, names in any script, a QR code of the public
verification URL.

fpdf2 with the HarfBuzz text-shaping engine (uharfbuzz) joins Arabic letters and lays
right-to-left text out correctly; DejaVu Sans (shipped beside this file, under its own
permissive licence) covers Latin, Greek, Cyrillic, Arabic and Hebrew. The fixed text is
in the student's language (the message catalogues of ``lms.core.i18n``)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF

from lms.core import i18n

FONT_DIR = Path(__file__).parent / "fonts"
ACCENT = (79, 70, 229)
INK = (17, 24, 39)
MUTED = (107, 114, 128)


@dataclass(frozen=True)
class CertificateDocument:
    certificate_number: str
    student_name: str
    course_title: str
    instructor_name: str
    completion_date: date
    verification_url: str
    locale: str = "en"


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """Render the certificate; CPU-bound, so callers run it in a worker thread."""
    _ = i18n.translator(doc.locale)
    rtl = i18n.direction(doc.locale) == "rtl"
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_lang(doc.locale)
    pdf.set_title(_("Certificate {number}").format(number=doc.certificate_number))
    pdf.set_author("LMS")
    pdf.set_creator("LMS")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_text_shaping(True)
    pdf.add_page()
    width, height = pdf.w, pdf.h

    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(2.0)
    pdf.rect(10, 10, width - 20, height - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, width - 28, height - 28)

    def line(
        text: str, *, size: float, y: float, bold: bool = False, color: tuple[int, int, int] = INK
    ) -> None:
        style = "B" if bold else ""
        pdf.set_font("DejaVu", style, size)
        while size > 8 and pdf.get_string_width(text) > width - 44:  # long names shrink to fit
            size -= 1
            pdf.set_font("DejaVu", style, size)
        pdf.set_text_color(*color)
        pdf.set_xy(20, y)
        pdf.cell(width - 40, size * 0.5, text, align="C")

    completed_on = i18n.format_date(doc.completion_date, doc.locale)
    line(_("CERTIFICATE OF COMPLETION"), size=28, y=32, bold=True, color=ACCENT)
    line(_("This certifies that"), size=14, y=56, color=MUTED)
    line(doc.student_name, size=30, y=70, bold=True)
    line(_("has successfully completed the course"), size=14, y=92, color=MUTED)
    line(doc.course_title, size=22, y=104, bold=True)
    line(_("Instructor: {name}").format(name=doc.instructor_name), size=13, y=126)
    line(_("Completed on {date}").format(date=completed_on), size=13, y=136)

    qr_size = 34.0
    pdf.image(
        _qr_png(doc.verification_url),
        x=width - 20 - qr_size - 6,
        y=height - 20 - qr_size - 8,
        w=qr_size,
        h=qr_size,
    )
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*MUTED)
    # Right-to-left text reads from the right edge of its cell.
    align = "R" if rtl else "L"
    pdf.set_xy(26, height - 40)
    pdf.cell(
        150,
        6,
        _("Certificate number: {number}").format(number=doc.certificate_number),
        align=align,
    )
    pdf.set_xy(26, height - 33)
    pdf.cell(150, 6, _("Verify at: {url}").format(url=doc.verification_url), align=align)
    return bytes(pdf.output())
