"""``hwsr export``: versioned SavedModels for TF Serving (and ``.tflite`` files for LiteRT)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hwsr.cli.models import load_bundle, model_errors
from hwsr.console import CLIError
from hwsr.model_dir import PRETRAINED_DIR


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="export models for TensorFlow Serving (SavedModel) and LiteRT (.tflite)",
        description="Writes OUT/hwsr_synthesis/<N>/ and OUT/hwsr_recognition/<N>/ (the layout of "
        "TF Serving's --model_base_path) and OUT/models.config. With no model dir, exports the "
        "shipped models in hwsr/pretrained/. See docs/serving.md.",
    )
    p.add_argument("--model-dir", type=Path, help="one model dir (its task picks the served name)")
    p.add_argument("--synthesis-model-dir", type=Path, help="the synthesis model dir")
    p.add_argument("--recognition-model-dir", type=Path, help="the recognition model dir")
    p.add_argument("--out", type=Path, required=True, help="the export base directory")
    p.add_argument("--version", type=int, help="version number (default: latest + 1)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing version")
    p.add_argument("--no-warmup", action="store_true",
                   help="skip assets.extra/tf_serving_warmup_requests (needs tensorflow-serving-api)")
    p.add_argument("--config-base-path", default="/models",
                   help="where OUT is mounted for the server, used in models.config (default /models)")
    p.add_argument("--tflite", action="store_true", help="also write OUT/tflite/*.tflite")
    p.add_argument("--tflite-quantization", nargs="+", default=["none"],
                   choices=["none", "dynamic", "float16"],
                   help="TFLite weight quantisation(s) to write (default: none)")
    p.add_argument("--max-text-length", type=int, help="characters per line (default 200)")
    p.add_argument("--max-steps", type=int, help="points per synthesised line (default 2000)")
    p.add_argument("--max-points", type=int, help="points per recognised line (default 4000)")
    p.add_argument("--max-batch", type=int, help="lines per request (default 32)")
    p.add_argument("--tflite-points", type=int, help="fixed TFLite recogniser input length (default 1024)")
    p.add_argument("--tflite-text-length", type=int, help="fixed TFLite text length (default 64)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress messages on stderr (also when $CI is set)")
    p.set_defaults(func=run)


def model_dirs(args) -> list[Path]:
    """The model dirs to export, from the flags or the shipped defaults."""
    dirs = [d for d in (args.model_dir, args.synthesis_model_dir, args.recognition_model_dir) if d]
    if dirs:
        return dirs
    shipped = [PRETRAINED_DIR / "synthesis", PRETRAINED_DIR / "recognition"]
    missing = [str(d) for d in shipped if not (d / "model.json").exists()]
    if missing:
        raise CLIError(f"no shipped model at {', '.join(missing)}",
                       hint="reinstall hwsr (pip install --force-reinstall hwsr), or pass --model-dir, "
                       "--synthesis-model-dir or --recognition-model-dir")
    return shipped


def limits_from_args(args):
    import dataclasses

    from hwsr.export.limits import ExportLimits

    overrides = {k: getattr(args, k) for k in (
        "max_text_length", "max_steps", "max_points", "max_batch", "tflite_points",
        "tflite_text_length") if getattr(args, k) is not None}
    bad = [f"--{k.replace('_', '-')}" for k, v in overrides.items() if v < 1]
    if bad:
        raise CLIError(f"{', '.join(bad)} must be positive")
    return dataclasses.replace(ExportLimits(), **overrides)


def file_size(path: Path) -> str:
    """The size of a file, or of everything under a folder, as ``"3.4 MB"``."""
    size = path.stat().st_size if path.is_file() else sum(
        p.stat().st_size for p in path.rglob("*") if p.is_file())
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1e3:.1f} kB" if size < 1e6 else f"{size / 1e6:.1f} MB"


def load_bundles(args) -> list:
    """The loaded model dirs to export: from the flags, or the shipped models."""
    bundles = []
    for path, task, flag in ((args.model_dir, None, "--model-dir"),
                             (args.synthesis_model_dir, "conditional_handwriting", "--synthesis-model-dir"),
                             (args.recognition_model_dir, "recognition", "--recognition-model-dir")):
        if path:
            bundles.append(load_bundle(path, task, flag))
    if not bundles:
        from hwsr.model_dir import load_model_dir

        for path in model_dirs(args):
            with model_errors(None, None):
                bundles.append(load_model_dir(path))
    tasks = [b.task for b in bundles]
    if len(set(tasks)) != len(tasks):
        raise CLIError(f"two model dirs of the same task ({', '.join(tasks)}); give one per task")
    return bundles


def run(args: argparse.Namespace) -> int:
    from hwsr.console import stderr_progress
    from hwsr.export.models_config import write_models_config
    from hwsr.export.saved_model import RECOGNITION_NAME, SYNTHESIS_NAME, export_saved_model
    from hwsr.export.warmup import ASSETS_EXTRA, WARMUP_FILE

    say = stderr_progress(args.quiet) or (lambda _message: None)
    if args.version is not None and args.version < 0:
        raise CLIError(f"--version must be a non-negative integer, got {args.version}")
    limits = limits_from_args(args)
    bundles = load_bundles(args)
    written = []
    for bundle in bundles:
        say(f"exporting {bundle.path} ({bundle.task})")
        target = export_saved_model(bundle, args.out, args.version, limits,
                                    with_warmup=not args.no_warmup, overwrite=args.overwrite)
        say(f"wrote {target} (SavedModel, {file_size(target)})")
        warmup = target / ASSETS_EXTRA / WARMUP_FILE
        if warmup.exists():
            say(f"wrote {warmup} (warmup requests, {file_size(warmup)})")
        written.append(str(target.relative_to(args.out)))
        if args.tflite:
            from hwsr.export.tflite import export_tflite

            for quantization in dict.fromkeys(args.tflite_quantization):
                path = export_tflite(bundle, args.out / "tflite", limits, quantization)
                say(f"wrote {path} (TFLite, quantization {quantization}, {file_size(path)})")
                written.append(str(path.relative_to(args.out)))
    names = [n for n in (SYNTHESIS_NAME, RECOGNITION_NAME) if (args.out / n).is_dir()]
    write_models_config(args.out / "models.config", names, args.config_base_path)
    say(f"wrote {args.out / 'models.config'} ({', '.join(names)}, {file_size(args.out / 'models.config')})")
    print(f"exported to {args.out}: {', '.join(written)}, models.config")
    return 0
