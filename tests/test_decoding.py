"""Decoding a file's bytes: the encodings real news files come in are read, in any language, and
bytes that are no text are refused with a reason that says so."""

import random
import unicodedata
from pathlib import Path

import pytest

from app.ingestion.formats.decoding import decode_text
from app.ingestion.outcomes import Outcome
from app.ingestion.parsed import ArticleRejected
from app.ingestion.wire.parse import parse_article
from tests.conftest import Ingest

# Articles as agencies and papers write them, one a script (Yoruba's tone marks as separate
# combining characters, as many keyboards type them).
ARTICLES = {
    "chinese": (
        "国务院发布今年经济增长预期目标",
        "北京，3月5日（新华社）——国务院总理在十四届全国人大二次会议上作政府工作报告，"
        "提出今年国内生产总值增长预期目标为5%左右。\n\n报告说，要坚持稳中求进工作总基调，"
        "完整、准确、全面贯彻新发展理念。",
    ),
    "japanese": (
        "日銀、マイナス金利の解除を決定",
        "東京（共同）―日本銀行は19日の金融政策決定会合で、2016年から続けてきた"
        "マイナス金利政策の解除を決めた。\n\n17年ぶりの利上げとなる。",
    ),
    "arabic": (
        "استئناف مفاوضات وقف إطلاق النار الأسبوع المقبل",
        "القاهرة (رويترز) - قال مسؤولون مصريون يوم الثلاثاء إن المفاوضات بشأن وقف إطلاق "
        "النار ستستأنف الأسبوع المقبل، وسط ضغوط دولية متزايدة للتوصل إلى اتفاق.\n\n"
        "وأضاف المسؤولون أن الوفود ستصل إلى القاهرة يوم الأحد.",
    ),
    "russian": (
        "Банк России сохранил ключевую ставку",
        "МОСКВА, 5 марта (Рейтер) - Центральный банк России сохранил ключевую ставку на "
        "уровне 16 процентов годовых, сообщил регулятор в пятницу.\n\n"
        "«Инфляционное давление снижается», — говорится в сообщении.",
    ),
    "greek": (
        "Νέα μέτρα στήριξης για τα νοικοκυριά",
        "ΑΘΗΝΑ (Reuters) - Η ελληνική κυβέρνηση ανακοίνωσε την Τετάρτη νέα μέτρα στήριξης "
        "για τα νοικοκυριά, εν μέσω αυξήσεων στις τιμές της ενέργειας.\n\n"
        "Το κόστος των μέτρων εκτιμάται σε 500 εκατ. ευρώ.",
    ),
    "hindi": (
        "रिज़र्व बैंक ने रेपो दर में बदलाव नहीं किया",
        "नई दिल्ली, 5 मार्च (भाषा) भारतीय रिज़र्व बैंक ने बुधवार को रेपो दर को 6.5 प्रतिशत "
        "पर अपरिवर्तित रखा।\n\nगवर्नर ने कहा कि महंगाई पर नज़र रखी जा रही है।",
    ),
    "yoruba": (
        unicodedata.normalize("NFD", "Ìjọba àpapọ̀ kéde ìṣí ilé-ìwé"),
        unicodedata.normalize(
            "NFD",
            "ÈKÓ (NAN) - Ìjọba àpapọ̀ ti kéde pé àwọn ilé-ìwé gíga yóò ṣí padà ní ọ̀sẹ̀ tó "
            "ń bọ̀.\n\nMínísítà ètò ẹ̀kọ́ sọ pé àwọn akẹ́kọ̀ọ́ yóò padà sí kíláàsì.",
        ),
    ),
    "vietnamese": (
        "Ngân hàng Nhà nước giữ nguyên lãi suất",
        "HÀ NỘI (Reuters) - Ngân hàng Nhà nước Việt Nam giữ nguyên lãi suất điều hành trong "
        "tháng Ba, thống đốc cho biết hôm thứ Tư.\n\nLạm phát vẫn dưới mục tiêu 4,5%.",
    ),
    "hebrew": (
        "הכנסת אישרה את התקציב",
        "ירושלים (רויטרס) - הכנסת אישרה ביום רביעי את תקציב המדינה לשנת 2025 בקריאה "
        "שלישית.\n\nשר האוצר אמר כי התקציב אחראי.",
    ),
    "thai": (
        "ธนาคารแห่งประเทศไทยคงอัตราดอกเบี้ยนโยบาย",
        "กรุงเทพฯ (รอยเตอร์) - คณะกรรมการนโยบายการเงินมีมติคงอัตราดอกเบี้ยนโยบายไว้ที่ร้อยละ "
        "2.50\n\nเศรษฐกิจไทยยังฟื้นตัวอย่างต่อเนื่อง",
    ),
    "emoji": (
        "Fans celebrate the title 🎉",
        "MADRID (AP) — Fans poured into the streets ⚽🏆 after the final whistle on Sunday.\n\n"
        "“We waited 30 years for this,” said one supporter.",
    ),
}
WESTERN = {
    "french": (
        "Le président annonce une réforme",
        "PARIS, 5 mars (Reuters) - Le président a déclaré mercredi qu’il présenterait « une "
        "réforme ambitieuse » des retraites à l’été.\n\nLes syndicats ont dénoncé un projet "
        "« brutal » — et appellent à la grève.",
    ),
    "german": (
        "Bundesregierung beschließt Haushalt",
        "BERLIN (dpa) - Die Bundesregierung hat am Mittwoch den Haushaltsentwurf für 2025 "
        "beschlossen. „Wir müssen sparen“, sagte der Finanzminister.\n\nDie Ausgaben "
        "sinken um 3 Prozent – auf 480 Milliarden €.",
    ),
    "spanish": (
        "El Gobierno aprueba la reforma laboral",
        "MADRID, 5 mar (EFE).- El Consejo de Ministros aprobó este martes la reforma laboral, "
        "que según el Gobierno “reducirá la temporalidad”.\n\n¿Qué cambia? La cuota sube un "
        "½ punto y el salario mínimo llega a 1.134 €.",
    ),
    "portuguese": (
        "Governo anuncia aumento do salário mínimo",
        "LISBOA (Lusa) - O Governo português anunciou hoje um aumento de 5% do salário mínimo "
        "nacional, que passará a 870 euros em janeiro.\n\nA medida abrange cerca de 800 mil "
        "trabalhadores, disse a ministra do Trabalho, Solidariedade e Segurança Social.",
    ),
}


def article_text(title: str, body: str) -> str:
    return f"{title}\r\n\r\n{body.replace(chr(10), chr(13) + chr(10))}\r\n"


def expected_text(title: str, body: str) -> str:
    return unicodedata.normalize("NFC", f"{title}\n\n{body}\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
@pytest.mark.parametrize("language", sorted(ARTICLES | WESTERN))
def test_news_text_in_any_language_and_a_declared_encoding_is_read(
    language: str, encoding: str
) -> None:
    title, body = (ARTICLES | WESTERN)[language]
    decoded = decode_text(article_text(title, body).encode(encoding))
    assert decoded.text == expected_text(title, body)
    assert decoded.warnings == ()
    article = parse_article(decoded.text, warnings=decoded.warnings)
    assert article.title == unicodedata.normalize("NFC", title)
    assert len(article.paragraphs) == 2


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    "language",
    sorted(["arabic", "russian", "greek", "hindi", "yoruba", "vietnamese", "hebrew", *WESTERN]),
)
def test_utf16_without_a_byte_order_mark_is_read_by_its_nul_bytes(
    language: str, encoding: str
) -> None:
    title, body = (ARTICLES | WESTERN)[language]
    decoded = decode_text(article_text(title, body).encode(encoding))
    assert decoded.text == expected_text(title, body)
    assert decoded.warnings == (
        f"no byte-order mark; read as {encoding.upper().removesuffix('-LE').removesuffix('-BE')}"
        f"{encoding[-2:].upper()} "
        "by the pattern of its NUL bytes",
    )


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
@pytest.mark.parametrize("language", sorted(WESTERN))
def test_western_text_in_a_legacy_encoding_is_read_as_windows_1252(
    language: str, encoding: str
) -> None:
    title, body = WESTERN[language]
    if encoding == "latin-1":  # Latin-1 has no curly quotes, dashes or euro sign
        body = body.translate(str.maketrans("’“”„–—€", '\'"""--E'))
    decoded = decode_text(article_text(title, body).encode(encoding))
    assert decoded.text == expected_text(title, body)
    assert "read as Windows-1252" in decoded.warnings[0]


@pytest.mark.parametrize(("language", "encoding"), [("russian", "cp1251"), ("greek", "cp1253")])
def test_other_legacy_encodings_are_still_taken_as_windows_1252(
    language: str, encoding: str
) -> None:
    title, body = ARTICLES[language]
    decoded = decode_text(article_text(title, body).encode(encoding))
    assert "read as Windows-1252" in decoded.warnings[0]
    assert parse_article(decoded.text).paragraphs


def random_bytes(seed: int, size: int) -> bytes:
    """``size`` random bytes with the NUL bytes left out (a NUL says "binary" at once)."""
    return bytes(byte for byte in random.Random(seed).randbytes(size) if byte)


@pytest.mark.parametrize("size", [300, 3000, 100_000])
@pytest.mark.parametrize("seed", range(10))
def test_random_bytes_are_refused_as_no_text(seed: int, size: int) -> None:
    with pytest.raises(ArticleRejected, match=r"^not text: \d+% of its characters are unprint"):
        decode_text(random_bytes(seed, size))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfeH\x00i\x00!", "not valid UTF-16LE though it opens with its byte-order mark"),
        (b"\xfe\xff\xd8\x00\x00A", "not valid UTF-16BE though it opens with its byte-order mark"),
        (b"\xff\xfeA\x00\x00\x00B\x00", "binary file (contains NUL characters after a UTF-16LE"),
        ("Title\n\n\x01\x02\x03\x04 body".encode("utf-16"), "not text: "),
        (("Title\n\n" + "\x1b[31m" * 20 + " body").encode("utf-32"), "not text: "),
        (b"Title\x00binary", "binary file (contains NUL bytes)"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary file (contains NUL bytes)"),
        ("一二三四五六七八九十".encode("utf-16-le"), "binary file (contains NUL bytes)"),
    ],
)
def test_what_is_no_text_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleRejected) as refusal:
        decode_text(data)
    assert str(refusal.value).startswith(reason)


# Nag Mundari (Unicode 15) and Kawi (Unicode 15): unassigned in Python 3.11's Unicode database.
NEWER_SCRIPTS = [
    "\U0001e4d0\U0001e4d1\U0001e4d2 \U0001e4d3\U0001e4d4",
    "\U00011f04\U00011f05 \U00011f06",
]


@pytest.mark.parametrize("words", NEWER_SCRIPTS)
def test_text_in_a_script_newer_than_pythons_unicode_database_is_taken(words: str) -> None:
    text = f"{words}\n\n" + " ".join([words] * 40) + "\n"
    assert decode_text(text.encode()).text == text


def test_a_legacy_encoding_read_as_windows_1252_is_taken_as_before() -> None:
    shift_jis = "東京の株式市場は火曜日に上昇した。\n\n日経平均株価は三日続伸した。\n" * 5
    decoded = decode_text(shift_jis.encode("shift_jis"))
    assert "Windows-1252" in " ".join(decoded.warnings)


def test_a_stray_control_character_is_no_reason_to_refuse() -> None:
    body = "Old wire copy keeps the codes of its teleprinter. " * 3
    decoded = decode_text(f"Headline\n\n\x01{body}\x02\x03\n\x1a".encode())
    assert decoded.text.startswith("Headline")


def test_ingest_takes_a_notepad_unicode_file_and_fails_random_bytes_saying_why(
    ingest: Ingest, tmp_path: Path
) -> None:
    title, body = ARTICLES["russian"]
    (tmp_path / "notepad.txt").write_bytes(article_text(title, body).encode("utf-16"))
    (tmp_path / "noise.txt").write_bytes(random_bytes(17, 3000))
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1
    [failure] = report.failures
    assert failure.path == str(tmp_path / "noise.txt")
    assert failure.reason is not None
    assert failure.reason.startswith("not text: ")
