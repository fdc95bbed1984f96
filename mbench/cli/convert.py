"""`mbench convert`."""

from __future__ import annotations

from pathlib import Path

from mbench import paths

import click

from mbench.cli._echo import echo_conversion
from mbench.cli._options import db_option, format_list, parse_input_shapes, precision_list, verbose_option
from mbench.spec import Format


@click.command(name="convert")
@click.argument("model_names", nargs=-1, metavar="MODELS...")
@click.option("--model", "user_model", help="Your own model: path/to/file.py:factory or package.module:factory.")
@click.option(
    "--name",
    "user_name",
    help="Name of --model's results and artifacts folder [default: the file's stem, or the module's last part].",
)
@click.option(
    "--input-shape",
    "input_shapes",
    multiple=True,
    callback=parse_input_shapes,
    help="Input shape of --model, e.g. 1,3,224,224; once per input in forward's order (or joined by ';'), with a "
    "dtype after a colon where not float32, e.g. 1,16:int64 (docs/own-model.md).",
)
@click.option(
    "--to",
    "formats",
    default="onnx,coreml,tflite",
    show_default=True,
    callback=format_list(),
    help="Target formats, comma-separated.",
)
@click.option(
    "--precision",
    "precisions",
    default="fp32",
    show_default=True,
    callback=precision_list(),
    help="Precisions, comma-separated. int8 is static (calibrated) except in Core ML, where it is "
    "weight-only; int8-dynamic, int8-weights and palette4/6/8 are offered where the format has them.",
)
@click.option(
    "--calibration",
    "calibration_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of images for int8 calibration [default: synthetic noise, labelled as such].",
)
@click.option("--calibration-samples", type=click.IntRange(min=1), default=32, show_default=True)
@click.option(
    "--onnx-quant-format",
    type=click.Choice(["qoperator", "qdq"]),
    default="qoperator",
    show_default=True,
    help="Form of ONNX static int8.",
)
@click.option(
    "--tflite-int8-io",
    type=click.Choice(["int8", "float"]),
    default="int8",
    show_default=True,
    help="Inputs and outputs of TFLite full-integer int8.",
)
@click.option(
    "--executorch-delegate",
    type=click.Choice(["xnnpack", "coreml"]),
    default="xnnpack",
    show_default=True,
    help="Delegate of ExecuTorch .pte files (coreml: a Core ML partition, runs on macOS only).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=paths.ARTIFACTS, show_default=True)
@click.option("--rebuild", is_flag=True, help="Convert again even where an identical artifact is cached.")
@db_option
@verbose_option
def convert(
    model_names,
    user_model,
    user_name,
    input_shapes,
    formats,
    precisions,
    calibration_dir,
    calibration_samples,
    onnx_quant_format,
    tflite_int8_io,
    executorch_delegate,
    out,
    rebuild,
    db,
):
    """Convert models to each format and write artifacts with manifests; every outcome is stored.

    A PyTorch reference (the state_dict) is always written too: it is the baseline for parity and latency.
    An artifact whose model, weights, format, precision, options, converter versions and calibration are
    unchanged is reused from --out (shown as "cached").

    Example: mbench convert hed-mobilenetv2 --to onnx,coreml,tflite --precision fp32,fp16,int8 --out artifacts/
    """
    from mbench.models.sources import absolute_source, spec_from_source
    from mbench.store import Store
    from mbench.sweep import convert_and_record

    if not model_names and not user_model:
        raise click.UsageError("name at least one model (see `mbench models`) or give --model FILE.py:FACTORY")
    specs = [spec_from_source(name) for name in model_names]
    if user_model:
        specs.append(spec_from_source(absolute_source(user_model), input_shapes, user_name))
    elif user_name:
        raise click.UsageError("--name names a --model; registered models keep their names")
    settings = _settings(
        precisions,
        calibration_dir,
        calibration_samples,
        onnx_quant_format,
        tflite_int8_io,
        executorch_delegate,
        rebuild,
    )
    with Store(db) as store:
        outcomes = convert_and_record(specs, formats, out, store, settings, on_outcome=echo_conversion)
    failed = sum(1 for o in outcomes if o.artifact is None)
    click.echo(f"{len(outcomes) - failed} artifacts written under {out}/, {failed} not produced; rows stored in {db}")


def _settings(
    precisions, calibration_dir, calibration_samples, onnx_quant_format, tflite_int8_io, executorch_delegate, rebuild
):
    """The command's options as the pipeline's settings, each converter's options in its own type."""
    from converters.executorch import Options as ExecuTorchOptions
    from converters.onnx import Options as OnnxOptions
    from converters.tflite import Options as TFLiteOptions
    from mbench.convert.pipeline import ConvertSettings

    return ConvertSettings(
        tuple(precisions),
        calibration_dir,
        calibration_samples,
        {
            Format.ONNX: OnnxOptions(quant_format=onnx_quant_format),
            Format.TFLITE: TFLiteOptions(int8_io=tflite_int8_io),
            Format.EXECUTORCH: ExecuTorchOptions(delegate=executorch_delegate),
        },
        rebuild,
    )


command = convert
