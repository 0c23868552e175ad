import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def _resize(image: np.ndarray, longer: int) -> np.ndarray:
    from PIL import Image

    h, w = image.shape[:2]
    scale = longer / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.LANCZOS), np.float32)


@pytest.fixture(scope="session")
def chelsea_small():
    """scikit-image's cat photo, longer side 96 px, float RGB [0, 255]."""
    import skimage.data

    return _resize(skimage.data.chelsea(), 96)


@pytest.fixture(scope="session")
def stripes_style():
    """A synthetic 'painting': saturated diagonal stripes, far in texture and colour from a photo."""
    yy, xx = np.mgrid[0:96, 0:96].astype(np.float32)
    r = 128 + 90 * np.sin((xx + yy) / 6.0)
    g = 90 + 50 * np.cos(xx / 9.0)
    b = 128 - 90 * np.sin((xx + yy) / 6.0)
    return np.stack([r, g, b], -1).astype(np.float32)


@pytest.fixture
def training_folders(tmp_path, chelsea_small, stripes_style):
    """A photo folder (two shifted cats and a file that is not an image) and a style folder
    (stripes.png, and held.png to hold out): what the AdaIN training commands read."""
    from PIL import Image

    photos, styles = tmp_path / "photos", tmp_path / "styles"
    photos.mkdir()
    styles.mkdir()
    for i in range(2):
        Image.fromarray(np.roll(chelsea_small, 9 * i, axis=1).astype(np.uint8)).save(photos / f"p{i}.png")
    Image.fromarray(stripes_style.astype(np.uint8)).save(styles / "stripes.png")
    Image.fromarray(np.flipud(stripes_style).astype(np.uint8)).save(styles / "held.png")
    (photos / "broken.jpg").write_text("not an image")
    return photos, styles


def pytest_collection_modifyitems(items):
    """The browser tests first, their slow ones first of all, then the other modules in the usual order.

    scripts/test.sh runs the suite in two processes (pytest-xdist, handing out tests in this order,
    a test's xdist_group as one): the browser tests mostly wait on a single core (Chromium's WASM
    backend runs one thread without cross-origin isolation), so two processes keep both cores busy,
    and starting the longest tests first leaves no long one running alone at the end. The browser
    tests' module fixtures (the site build, the camera clip) are made once a process.
    """
    def order(item):
        browser = item.path.name == "test_site.py"
        return (not browser, not (browser and item.get_closest_marker("slow")))

    items.sort(key=order)
