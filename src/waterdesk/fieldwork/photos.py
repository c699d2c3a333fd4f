"""Small copies of the photos taken on site, for the order page on a phone."""

from io import BytesIO

from PIL import Image, ImageOps

from waterdesk.fieldwork.models import WorkOrderPhoto

THUMBNAIL_SIZE = (480, 480)


def photo_thumbnail(photo: WorkOrderPhoto) -> bytes | None:
    """The photo at most 480 px on its longer side, upright (as the phone held it), as a
    JPEG; None when the stored file cannot be read as an image (the page then shows the
    original)."""
    try:
        with photo.image.open("rb") as stored, Image.open(stored) as image:
            image.draft("RGB", THUMBNAIL_SIZE)  # a JPEG decodes at a fraction of its size
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail(THUMBNAIL_SIZE)
            buffer = BytesIO()
            upright.convert("RGB").save(buffer, format="JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return buffer.getvalue()
