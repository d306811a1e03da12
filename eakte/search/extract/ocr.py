"""OCR with tesseract (German by default): scanned pages and images."""

from __future__ import annotations

import functools
import shutil
import warnings
from io import BytesIO

import pytesseract
from PIL import Image, ImageSequence, UnidentifiedImageError

from eakte.search.extract.core import FAILED, UNSUPPORTED, Job, Rejected

# Pixels tesseract is given at most: an A4 page at 300 dpi is 8.7 million; a poster-sized
# scan or a decompression bomb would cost gigabytes and minutes (PDF pages are scaled down).
MAX_OCR_PIXELS = 40_000_000


@functools.lru_cache(maxsize=8)
def ocr_available(languages: str = "deu") -> bool:
    """Whether tesseract is on PATH with every `+`-joined language installed."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return False
    try:
        installed = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractError, OSError):
        return False
    return all(language in installed for language in languages.split("+"))


# --- OCR -------------------------------------------------------------------------------


def ocr(image: Image.Image, job: Job) -> str:
    """Tesseract's reading of one page; a page it cannot read costs a note, not the file."""
    job.ocr_pages += 1
    try:
        return str(pytesseract.image_to_string(image, lang=job.limits.ocr_languages))
    except pytesseract.TesseractError:
        job.notes.append("OCR failed on some pages")
        return ""


def ocr_ready(image: Image.Image) -> Image.Image:
    """Grey on white: transparent areas would otherwise turn black and hide the text."""
    try:
        image.load()  # decoding happens here, so a corrupt image fails here
    except (OSError, EOFError, ValueError):
        raise Rejected(FAILED, "invalid image") from None
    if image.mode in ("1", "L"):
        return image
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("L")
    return image.convert("L")


def image(content: bytes, job: Job) -> None:
    limits = job.limits
    what = job.media_type or "image"
    if not limits.ocr:
        raise Rejected(UNSUPPORTED, f"{what} needs OCR, which is off")
    if not ocr_available(limits.ocr_languages):
        raise Rejected(UNSUPPORTED, f"{what} needs OCR, which is unavailable here")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice that: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(content))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected(FAILED, "image too large") from None
    except (UnidentifiedImageError, OSError):
        raise Rejected(FAILED, "invalid image") from None
    with image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if number > limits.ocr_max_pages:
                job.notes.append(f"OCR limited to {limits.ocr_max_pages} page(s)")
                break
            if frame.width * frame.height > MAX_OCR_PIXELS:  # checked before decoding
                raise Rejected(FAILED, "image too large")
            job.sink.add(ocr(ocr_ready(frame), job))
            if job.sink.full:
                break
