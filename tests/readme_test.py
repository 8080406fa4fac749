"""The README promises: two set-up commands that exist, images that exist, real commands."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def make_targets():
    return set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


def test_quick_start_has_exactly_the_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert {"demo", "test", "gallery"} <= make_targets()
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_required_sections_are_there():
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    for wanted in ("Quick start", "Python API", "Command line", "Gallery", "Train your own",
                   "Export and serving", "Data and licences"):
        assert any(h.startswith(wanted) for h in headings), f"README has no '{wanted}' section"


def test_every_linked_image_and_doc_exists():
    links = re.findall(r"\]\(((?:docs|notebooks)/[^)#]+)\)", README)
    assert any(link.endswith(".png") for link in links), "the gallery shows no image"
    for link in links:
        assert (ROOT / link).is_file(), f"README links to missing {link}"


def test_gallery_block_is_generated():
    block = README.split("<!-- gallery:start -->", 1)[1].split("<!-- gallery:end -->", 1)[0]
    assert block.count("](docs/gallery/") >= 5
    assert "read back:" in block  # Captions quote the recogniser: written by make gallery.


def test_commands_in_the_reference_are_real_subcommands():
    from hwsr.cli.main import SUBCOMMANDS

    table = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    used = set(re.findall(r"`hwsr (\w+)", table))
    assert used and used <= set(SUBCOMMANDS), used - set(SUBCOMMANDS)
    assert set(SUBCOMMANDS) <= used, f"not in the README: {set(SUBCOMMANDS) - used}"
