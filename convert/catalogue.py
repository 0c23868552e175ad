"""What visitors are told about each gallery painting: title, artist, year, licence, source.

Keyed by the painting's file name in the styles folder (whose MANIFEST.tsv gives source and licence).
``year`` is a display string ("c. 1831"); it is None where the source does not establish it.
"""

from __future__ import annotations

from pathlib import Path

PAINTINGS = {
    "van_gogh_starry_night_1889.jpg": ("starry-night", "The Starry Night", "Vincent van Gogh", "1889"),
    "hokusai_great_wave_c1831.jpg": ("great-wave", "The Great Wave off Kanagawa", "Katsushika Hokusai", "c. 1831"),
    "munch_the_scream_1893.jpg": ("the-scream", "The Scream", "Edvard Munch", "1893"),
    "kandinsky_composition_vii_1913.jpg": ("composition-vii", "Composition VII", "Wassily Kandinsky", "1913"),
    "turner_shipwreck_of_the_minotaur_c1810.jpg": ("minotaur", "The Shipwreck of the Minotaur", "J. M. W. Turner",
                                                   "c. 1810"),
    "picabia_udnie_1913.jpg": ("udnie", "Udnie", "Francis Picabia", "1913"),
    "picabia_edtaonisl_1913.jpg": ("edtaonisl", "Edtaonisl", "Francis Picabia", "1913"),
    "seurat_grande_jatte_oil_sketch_1884.jpg": ("grande-jatte", "Oil sketch for La Grande Jatte", "Georges Seurat",
                                                "1884"),
    "monet_water_lilies_1919.jpg": ("water-lilies", "Water Lilies", "Claude Monet", "1919"),
    "van_gogh_wheat_field_with_cypresses_1889.jpg": ("wheat-field", "Wheat Field with Cypresses", "Vincent van Gogh",
                                                     "1889"),
    # The source gives no title; the picture is signed "P. Gauguin 96" (lower right) and its three women, two
    # in red pareos, are the composition of Gauguin's Three Tahitian Women (1896).
    "gauguin_tahitian_women.jpg": ("tahitian-women", "Three Tahitian Women", "Paul Gauguin", "1896"),
    "delaunay_portrait_of_metzinger_1906.jpg": ("metzinger", "Portrait of Jean Metzinger", "Robert Delaunay", "1906"),
}


def describe(path) -> dict:
    """Metadata for a style image: from the table above, licence and source from a MANIFEST.tsv beside it.

    Files not in the table get an id and title from their name and no artist or year.
    """
    path = Path(path)
    known = PAINTINGS.get(path.name)
    if known:
        style_id, title, artist, year = known
    else:
        style_id = path.stem.lower().replace("_", "-")
        title, artist, year = path.stem.replace("_", " "), None, None
    licence, source = None, None
    manifest = path.parent / "MANIFEST.tsv"
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
            fields = line.split("\t")
            if fields and fields[0] == path.name:
                source, licence = fields[1], fields[2]
    return {"id": style_id, "title": title, "artist": artist, "year": year, "licence": licence, "source": source}


def style_index(styles, name: str, option: str = "--retrain") -> int:
    """The index in ``styles`` (file paths) of the style whose gallery id or file stem is ``name``;
    ValueError naming the known ids when there is none."""
    ids = [describe(s)["id"] for s in styles]
    for names in (ids, [Path(s).stem for s in styles]):
        if name in names:
            return names.index(name)
    raise ValueError(f"{option} {name}: not one of this run's styles ({', '.join(ids)})")
