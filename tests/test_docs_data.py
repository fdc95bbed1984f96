"""The synthetic document generator: deterministic from its seed, corners inside, labels on the page's edges."""

import hashlib

import numpy as np
import pytest

from mbench.data.docs import edge_map, make_sample, read_rgb, split_indices, write_dataset


def _digest(folder):
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())).hexdigest()


def test_same_seed_same_bytes_different_seed_different_bytes(tmp_path):
    write_dataset(tmp_path / "a", 10, seed=3, size=64)
    write_dataset(tmp_path / "b", 10, seed=3, size=64)
    write_dataset(tmp_path / "c", 10, seed=4, size=64)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_splits_and_files(tmp_path):
    counts = write_dataset(tmp_path, 20, seed=0, size=48)
    assert counts == {"train": 16, "val": 2, "test": 2}
    assert sorted(p.name for p in (tmp_path / "test").iterdir()) == [
        "00018.png",
        "00018_edges.png",
        "00019.png",
        "00019_edges.png",
        "corners.json",
    ]
    image = read_rgb(tmp_path / "test" / "00018.png")
    assert np.array_equal(image, make_sample(0, 18, 48).image)  # written and read back as RGB


@pytest.mark.parametrize("index", range(12))
def test_corners_inside_and_edges_along_them(index):
    sample = make_sample(7, index, 128)
    assert sample.image.shape == (128, 128, 3) and sample.image.dtype == np.uint8
    assert (sample.corners > 0).all() and (sample.corners < 127).all()
    assert np.array_equal(sample.edges, edge_map(sample.corners, 128))
    perimeter = sum(np.linalg.norm(sample.corners[i] - sample.corners[i - 1]) for i in range(4))
    assert 0.8 * perimeter < sample.edges.sum() < 1.3 * perimeter  # a thin line, not a filled page


def test_one_document_at_two_resolutions_has_the_same_geometry():
    small, large = make_sample(0, 5, 64), make_sample(0, 5, 256)
    np.testing.assert_allclose(small.corners * 4, large.corners, atol=1e-3)


def test_split_fractions_and_bad_n(tmp_path):
    splits = split_indices(2000)
    assert [len(r) for r in splits.values()] == [1600, 200, 200]
    with pytest.raises(ValueError, match="at least 3"):
        write_dataset(tmp_path, 2, seed=0)
