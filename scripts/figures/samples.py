"""Copy the sample photos that ship in PyPI packages into web/public/samples/ (longer side 768, JPEG).

scikit-image's astronaut, chelsea, coffee and rocket, and matplotlib's grace_hopper: the photos the
site offers to try without uploading (credits in web/src/ui/samples.ts).
"""

from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parents[2] / "web" / "public" / "samples"


def main() -> int:
    import matplotlib.cbook
    import skimage.data

    photos = {name: getattr(skimage.data, name)() for name in ("astronaut", "chelsea", "coffee", "rocket")}
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        photos["grace_hopper"] = np.asarray(Image.open(f).convert("RGB"))
    OUT.mkdir(parents=True, exist_ok=True)
    for name, array in photos.items():
        im = Image.fromarray(array).convert("RGB")
        im.thumbnail((768, 768), Image.LANCZOS)
        im.save(OUT / f"{name}.jpg", quality=88)
        print(OUT / f"{name}.jpg", im.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
