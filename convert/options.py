"""The ``deepstyle`` command line's arguments: every subcommand, option, default and help text.

No TensorFlow or Keras here: --help, usage errors and bad files must answer in a fraction of a
second, with nothing but one line on stderr. Each subcommand's handler is ``convert.cli.run_<name>``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .runs import CHECKPOINTS

PROG = "deepstyle"

#: StyleObjective's default weights, repeated here so that --help needs no TensorFlow import
#: (tests/test_cli.py checks they agree).
OBJECTIVE_DEFAULTS = {"content_weight": 1.0, "style_weight": 20.0, "tv_weight": 10.0}
#: The AdaIN decoder's default channels (adain.DEFAULT_DECODER_WIDTHS), for the same reason: the
#: --from checks run before TensorFlow loads (tests/test_cli.py checks they agree).
DECODER_WIDTHS = (128, 64, 32)
#: The layers its style loss may cover (adain.STYLE_LAYERS), the paper's four first, likewise.
ADAIN_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def _whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_count = _whole_number(0)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _positive(text: str) -> float:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _size(text: str) -> int:
    value = _positive_int(text)
    if not 16 <= value <= 4096:
        raise argparse.ArgumentTypeError(f"must be between 16 and 4096 pixels, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    # No TensorFlow/Keras import here: --help, usage errors and bad files must answer in a
    # fraction of a second, with nothing but our one line on stderr. The weights default to None
    # and are filled from StyleObjective's defaults once the inputs have been checked.
    parser = argparse.ArgumentParser(
        prog=PROG, description="Deep Style: neural style transfer, trained here and run in the browser."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser(
        "gatys",
        help="stylize a photo by optimisation (Gatys et al. 2016): slow, the quality reference",
        description="Optimise an image so that its VGG16 features match CONTENT's and its Gram "
        "statistics match STYLE's (Gatys, Ecker & Bethge 2016), with L-BFGS-B.",
    )
    g.add_argument("content", type=Path, help="the photo (JPEG, PNG, WebP, ...)")
    g.add_argument("style", type=Path, help="the painting whose style to transfer")
    g.add_argument("-o", "--output", type=Path, required=True, help="output image (.png, .jpg or .webp)")
    g.add_argument("--size", type=_size, default=512, help="longer side of the output in pixels (default 512)")
    g.add_argument("--style-scale", type=_positive, default=1.0,
                   help="style image's longer side as a multiple of --size (default 1.0); smaller gives finer strokes")
    g.add_argument("--steps", type=_positive_int, default=300, help="L-BFGS evaluations (default 300)")
    g.add_argument("--content-weight", type=_non_negative,
                   help=f"weight of the content loss (default {OBJECTIVE_DEFAULTS['content_weight']:g})")
    g.add_argument("--style-weight", type=_non_negative,
                   help=f"weight of the style loss (default {OBJECTIVE_DEFAULTS['style_weight']:g}); higher paints more")
    g.add_argument("--tv-weight", type=_non_negative,
                   help=f"weight of the total-variation smoothing (default {OBJECTIVE_DEFAULTS['tv_weight']:g})")
    g.add_argument("--preserve-color", action="store_true",
                   help="keep the photo's colours: luminance-only transfer (Gatys et al. 2017)")
    g.add_argument("--init", choices=("content", "noise"), default="content",
                   help="start from the photo (default) or from seeded noise")
    g.add_argument("--seed", type=int, default=0, help="seed for --init noise (default 0)")
    g.add_argument("--report", type=Path, help="also write the settings and final losses as JSON here")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_precision_option(g)

    t = sub.add_parser(
        "train",
        help="train (or resume) a multi-style fast network (Johnson et al. 2016, Dumoulin et al. 2017)",
        description="Train one feed-forward network for several styles at once with conditional "
        "instance norm. Re-running the same command resumes from the run folder's last checkpoint.",
    )
    t.add_argument("--photos", type=Path, required=True, help="folder of content photos")
    t.add_argument("--styles", type=Path, nargs="+", default=[],
                   help="style images, or one folder of them (its MANIFEST.tsv order if it has one); "
                   "with --from: the styles to add, if any")
    t.add_argument("--run", type=Path, required=True, help="run folder: checkpoints, logs, renders")
    t.add_argument("--steps", type=_positive_int, default=20000, help="total steps (default 20000)")
    t.add_argument("--batch", type=_positive_int, default=4)
    t.add_argument("--crop", type=_size, default=128, help="training crop in pixels (default 128)")
    t.add_argument("--scale", type=_size, default=384,
                   help="longer side photos and styles are seen at: the evaluation size (default 384)")
    t.add_argument("--lr", type=_positive, default=1e-3, help="Adam learning rate (default 1e-3)")
    t.add_argument("--ramp-steps", type=_positive_int, default=300,
                   help="steps over which the style weight rises from 0 (default 300)")
    t.add_argument("--widths", type=_positive_int, nargs=3, default=None, metavar="C",
                   help="channels of the three resolutions (default 16 32 64)")
    t.add_argument("--residual-blocks", type=_positive_int, default=None,
                   help="residual blocks (default 3); with --from, more than the base's grows it deeper, "
                   "the new blocks starting as the identity (Chen et al. 2016, Net2Net)")
    t.add_argument("--residual-width", type=_positive_int, default=None, metavar="C",
                   help="channels inside each residual block (default: the third of --widths); with --from, more "
                   "than the base's widens the blocks, the new channels starting with zero outgoing weights")
    t.add_argument("--colour-head", action="store_true",
                   help="end the network with a per-style map of the photo's mean colour and detail, so that "
                   "each style can set the palette (networks.ColourOutput); with --from, a base without one gains "
                   "it, starting as the head it had")
    t.add_argument("--content-weight", type=_non_negative)
    t.add_argument("--style-weight", type=_non_negative)
    t.add_argument("--tv-weight", type=_non_negative)
    t.add_argument("--style-scales", type=_non_negative, nargs="+", metavar="S",
                   help="multiply the style weight per style, one number per style in --styles order (with "
                   "--from: per new style, or per style of the base to replace its own when none is added); may change "
                   "when a run resumes (default: all 1; a style added --from a run: the median of the run's scales)")
    t.add_argument("--style-draws", type=_non_negative, nargs="+", metavar="W",
                   help="how often each style is drawn for a crop, relative to the others, one number per style "
                   "of the run (with --from: the base's styles, then any new ones); draw a lagging style more "
                   "often to give it more of the shared weights' training; may change when a run resumes "
                   "(default: all equally)")
    _add_run_options(t, render_every=250)
    t.add_argument("--from", dest="base", type=Path, metavar="RUN",
                   help="continue the trained run RUN (its network, recipe and styles) in a new run: add --styles, "
                   "of which only the normalisation parameters train (Dumoulin et al. 2017), and/or grow it "
                   "with more --residual-blocks, a wider --residual-width or a --colour-head, or train it on to other "
                   "--content-weight/--style-weight/--tv-weight: these train everything")
    t.add_argument("--train-all", action="store_true", help="with --from: train the shared weights too")
    t.add_argument("--retrain", nargs="+", default=[], metavar="ID",
                   help="with --from: train again only these styles' own parameters (gallery ids such as "
                   "edtaonisl, or file stems), every other style staying exactly as it paints; --style-scales "
                   "then gives one number per retrained style")

    a = sub.add_parser(
        "adain-train",
        help="train (or resume) the decoder of the arbitrary-style network (Huang & Belongie 2017)",
        description="Train the AdaIN decoder on photos and style images. Re-running the same command "
        "resumes from the run folder's last checkpoint.",
    )
    a.add_argument("--photos", type=Path, required=True, help="folder of content photos")
    a.add_argument("--styles", type=Path, nargs="+", required=True, help="folders or files of style images")
    a.add_argument("--holdout", nargs="*", default=[], metavar="NAME",
                   help="file names of style images never to train on (rendered as validation styles)")
    a.add_argument("--run", type=Path, required=True, help="run folder: checkpoints, logs, renders")
    a.add_argument("--steps", type=_positive_int, default=20000, help="total steps (default 20000)")
    a.add_argument("--batch", type=_positive_int, default=8)
    a.add_argument("--crop", type=_size, default=256, help="training crop in pixels (default 256)")
    a.add_argument("--scale", type=_size, default=384, help="longer side images are seen at (default 384)")
    a.add_argument("--lr", type=_positive, default=1e-4, help="Adam learning rate (default 1e-4)")
    a.add_argument("--style-weight", type=_non_negative, default=10.0, help="default 10")
    a.add_argument("--tv-weight", type=_non_negative, default=0.0, help="default 0")
    a.add_argument("--block-weight", type=_non_negative, default=0.0,
                   help="weight of a penalty on steps that repeat on the 8-pixel grid of the decoder's "
                   "upsamplings (default 0: none, as in the paper)")
    a.add_argument("--anchor-weight", type=_non_negative, default=0.0,
                   help="weight of a content loss against the photo itself at relu3_1, holding the output "
                   "closer to the photo than the AdaIN target alone (default 0: none, as in the paper)")
    a.add_argument("--tone-weight", type=_non_negative, default=0.0,
                   help="weight of a loss that keeps where the photo is light and where dark (its luma on a "
                   "16 px grid, up to brightness and contrast), in the style's palette (default 0: none)")
    a.add_argument("--style-layers", nargs="+", choices=ADAIN_STYLE_LAYERS, default=list(ADAIN_STYLE_LAYERS[:4]),
                   metavar="LAYER", help="VGG16 layers of the mean/std style loss, some of "
                   f"{' '.join(ADAIN_STYLE_LAYERS)} (default: the paper's {' '.join(ADAIN_STYLE_LAYERS[:4])})")
    a.add_argument("--widths", type=_positive_int, nargs=3, default=DECODER_WIDTHS, metavar="C",
                   help=f"decoder channels (default {' '.join(map(str, DECODER_WIDTHS))})")
    a.add_argument("--upsample", choices=("nearest", "bilinear"), default="nearest",
                   help="the decoder's three 2x upsamplings: nearest (the paper's, default) or bilinear "
                   "(leaves no 8-pixel grid)")
    a.add_argument("--from", dest="base", type=Path, metavar="RUN",
                   help="start a new run from the decoder weights of the trained run RUN (same --widths and "
                   "--holdout), to train them on with another --upsample, say")
    _add_run_options(a, render_every=500)

    d = sub.add_parser(
        "adain-distill",
        help="distil a slim encoder from VGG16 for the arbitrary-style network (channel pruning, then fine-tuning)",
        description="Make a VGG16-shaped encoder with fewer channels whose relu4_1 imitates VGG16's: "
        "channels pruned with least-squares reconstruction (He et al. 2017), then fine-tuned on crops of "
        "photos and style images. Re-running the same command resumes from the run folder's last checkpoint.",
    )
    d.add_argument("--photos", type=Path, required=True, help="folder of photos")
    d.add_argument("--styles", type=Path, nargs="+", required=True, help="folders or files of style images")
    d.add_argument("--holdout", nargs="*", default=[], metavar="NAME", help="file names of style images not to use")
    d.add_argument("--run", type=Path, required=True, help="run folder: checkpoints, logs")
    d.add_argument("--widths", type=_positive_int, nargs=7, default=None, metavar="C",
                   help="channels of the seven layers before relu4_1 (default 32 32 64 64 128 128 128; VGG16: 64 64 128 128 256 256 256)")
    d.add_argument("--steps", type=_positive_int, default=4000, help="fine-tuning steps (default 4000)")
    d.add_argument("--batch", type=_positive_int, default=4, help="photos, and as many style crops, per step (default 4)")
    d.add_argument("--crop", type=_size, default=128, help="training crop in pixels (default 128)")
    d.add_argument("--scale", type=_size, default=256, help="longer side images are seen at (default 256)")
    d.add_argument("--lr", type=_positive, default=1e-4, help="Adam learning rate (default 1e-4)")
    d.add_argument("--prune-images", type=_positive_int, default=96, help="crops the pruning is fitted on (default 96)")
    d.add_argument("--save-every-min", type=_positive, default=5.0, help="checkpoint interval in minutes (default 5)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--time-limit-min", type=_positive, metavar="MIN",
                   help="stop (and save) after this many minutes of training, whatever the step")
    _add_precision_option(d)

    x = sub.add_parser(
        "export",
        help="export a trained multi-style network to TensorFlow.js and record it in models/manifest.json",
        description="Convert a run's latest checkpoint to a quantised TensorFlow.js graph model in "
        "MODELS/ID/, render each style's thumbnail with the model, and add the model and its styles "
        "(title, artist, year, licence, evaluation figures) to MODELS/manifest.json.",
    )
    x.add_argument("--run", type=Path, required=True, help="training run folder (its latest checkpoint)")
    x.add_argument("--id", default="gallery", help="model id: lower-case letters, digits and '-' (default gallery)")
    x.add_argument("--models", type=Path, default=Path("models"), help="models folder (default models)")
    x.add_argument("--quantize", choices=("float16", "uint8", "none"), default=None,
                   help="weight quantisation (default float16; uint8 with --adain)")
    x.add_argument("--eval", type=Path, help="a `deepstyle eval` JSON whose per-style figures go in the manifest")
    x.add_argument("--sample", type=Path,
                   help="photo for the thumbnails (default: scikit-image's astronaut, if installed)")
    x.add_argument("--thumb-size", type=_size, default=256, help="thumbnail longer side (default 256)")
    x.add_argument("--adain", action="store_true",
                   help="the run is an AdaIN decoder run: export encoder and decoder (ids adain-encoder, "
                   "adain-decoder; default quantisation uint8)")
    x.add_argument("--encoder", default=str(CHECKPOINTS / "adain-encoder"), metavar="RUN",
                   help="with --adain: the encoder to ship, an `adain-distill` run folder (default: the shipped "
                   "checkpoints/adain-encoder) or 'vgg' for VGG16 itself")

    v = sub.add_parser(
        "average",
        help="average a run's weight snapshots into a weights-only run (Izmailov et al. 2018)",
        description="Write OUTPUT as a run folder holding RUN's recipe and the mean of its last N weight "
        "snapshots (RUN/snapshots/, kept while training with --keep-snapshots). The result is evaluated, "
        "exported and painted with like any run; it is not trained further.",
    )
    v.add_argument("--run", type=Path, required=True, help="training run folder with snapshots/")
    v.add_argument("--last", type=_positive_int, required=True, help="average the newest N snapshots")
    v.add_argument("-o", "--output", type=Path, required=True, help="run folder to write (not RUN itself)")

    e = sub.add_parser(
        "eval",
        help="score a trained network against Gatys optimisation of the same objective",
        description="For every photo and style: the network's content and style losses, the "
        "unstylised photo's, and those of a Gatys optimisation (L-BFGS) of the same objective at the "
        "same size; writes JSON. Gatys results are cached (--cache) since each costs minutes.",
    )
    e.add_argument("--run", type=Path, required=True, help="training run folder (its latest checkpoint)")
    e.add_argument("--photos", type=Path, required=True, help="folder of photos, e.g. ones never trained on")
    e.add_argument("--size", type=_size, default=None,
                   help="longer side for photos and styles (default: the run's training scale)")
    e.add_argument("--gatys-steps", type=_count, default=300, help="L-BFGS steps of the reference (0: none)")
    e.add_argument("--gatys-photos", type=_count, default=None,
                   help="run the reference on the first N photos only (default: all)")
    e.add_argument("--max-photos", type=_positive_int, default=None, help="use the first N photos only")
    e.add_argument("--styles", nargs="+", default=[], metavar="ID",
                   help="score only these of the run's styles (gallery ids such as udnie, or file stems; "
                   "default: all)")
    e.add_argument("--cache", type=Path, default=Path("docs/eval/gatys_cache.json"),
                   help="JSON cache of Gatys results (default docs/eval/gatys_cache.json)")
    e.add_argument("--cached-only", action="store_true",
                   help="use Gatys references from the cache only; compute none (e.g. after a GPU run)")
    e.add_argument("--encoder", default=None, metavar="RUN",
                   help="for an AdaIN run: the encoder, an `adain-distill` run folder (default: the shipped "
                   "checkpoints/adain-encoder) or 'vgg' for VGG16 itself")
    e.add_argument("-o", "--output", type=Path, required=True, help="results .json")
    _add_precision_option(e, default="float32")

    y = sub.add_parser(
        "stylize",
        help="paint photos with a trained network: a gallery style by id, or any picture (AdaIN)",
        description="Paint each PHOTO in a style: a gallery painting by its id (the multi-style network "
        "of --run) or any picture as the style (the arbitrary-style AdaIN network of --adain-run). "
        "Every photo is checked first; unreadable ones are reported and skipped, the others are painted "
        "(exit status 1 if any were skipped, 2 if none could be used).",
    )
    y.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help="photos to paint")
    y.add_argument("--style", required=True,
                   help="a gallery style id (e.g. great-wave) or the path of any picture to use as the style")
    y.add_argument("-o", "--output", type=Path, required=True,
                   help="output image (.png/.jpg/.webp) for one photo, or a folder for several")
    y.add_argument("--size", type=_size, default=1024, help="longer side to paint at, never enlarging (default 1024)")
    y.add_argument("--strength", type=_non_negative, default=1.0,
                   help="0 = the photo, 1 = fully painted (default 1); for AdaIN this is alpha")
    y.add_argument("--preserve-color", action="store_true", help="keep the photo's colours (Gatys et al. 2017)")
    y.add_argument("--run", type=Path, default=CHECKPOINTS / "gallery",
                   help="multi-style training run (default: the shipped checkpoints/gallery)")
    y.add_argument("--adain-run", type=Path, default=CHECKPOINTS / "adain",
                   help="AdaIN decoder run for picture styles (default: the shipped checkpoints/adain)")
    y.add_argument("--encoder", default=str(CHECKPOINTS / "adain-encoder"), metavar="RUN",
                   help="AdaIN encoder: an `adain-distill` run folder (default: the shipped checkpoints/adain-encoder) "
                   "or 'vgg' for VGG16 itself")
    return parser


def _add_run_options(parser, render_every: int) -> None:
    """Options every training command shares: validation renders, checkpoints, seed, time limit."""
    parser.add_argument("--val-photos", type=Path, help="folder of validation photos rendered every --render-every steps")
    parser.add_argument("--render-every", type=_positive_int, default=render_every)
    parser.add_argument("--save-every-min", type=_positive, default=5.0, help="checkpoint interval in minutes (default 5)")
    parser.add_argument("--keep-snapshots", type=_count, default=0, metavar="N",
                        help="also keep the network's weights of the last N checkpoints in RUN/snapshots/, "
                        "for `deepstyle average` (default 0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit-min", type=_positive, metavar="MIN",
                        help="stop (and save) after this many minutes of training, whatever the step")
    _add_precision_option(parser)


def _add_precision_option(parser, default: str = "auto") -> None:
    what = ("auto: bfloat16 where the CPU or GPU has bfloat16 units, else float32" if default == "auto" else
            "float32, so that figures compare across machines: bfloat16 scored the style term about 2%% lower")
    parser.add_argument("--precision", choices=("auto", "bfloat16", "float32"), default=default,
                        help=f"bfloat16 mixed precision or float32 (default {what})")
