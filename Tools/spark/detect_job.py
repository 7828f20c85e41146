"""Detection at corpus scale on Apache Spark: every document of a JSON Lines or Parquet corpus
scored for the greenlist-v1 watermark by the swift_watermark package (the Swift library
through its C ABI, so each answer is `watermark detect --json`'s to the bit), inside
mapInArrow on the executors; results written with the input's ids as Parquet and JSON Lines,
and a summary.

    spark-submit Tools/spark/detect_job.py --input corpus.jsonl --output out/ \\
        --key-file my.key --tokenizer SmolLM2-135M-Instruct.Q4_1.gguf

Output (under --output):
  parquet/   one row a document: id, verdict, keyID, tokens, scored, green, z, p, log10p,
             pAdjusted, log10pAdjusted, keysTried, calibrated, error, and `result`: the
             document's whole JSON object as `watermark detect --json` writes it (with "id",
             less "source" and "index"), or {"id", "error"} for a document that failed
  jsonl/     the `result` objects, one a line (Spark part files)
  summary/   one JSON object: documents, watermarked, watermarkedShare, tooShort, errors
The summary is also printed. Key files and the tokenizer are opened on the executors by the
paths given, or by file name from what `spark-submit --files` shipped (SparkFiles).
"""
import argparse
import json
import os
import sys

OUTPUT_FIELDS = [("verdict", "string"), ("keyID", "string"), ("tokens", "int64"), ("scored", "int64"), ("green", "int64"),
                 ("z", "float64"), ("p", "float64"), ("log10p", "float64"), ("pAdjusted", "float64"),
                 ("log10pAdjusted", "float64"), ("keysTried", "int64"), ("calibrated", "bool")]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="detect_job.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="JSON Lines file or folder, or Parquet (by --format or the extension)")
    p.add_argument("--format", choices=["jsonl", "parquet"], help="input format (default: parquet for .parquet paths, else jsonl)")
    p.add_argument("--output", required=True, help="folder for parquet/, jsonl/ and summary/ (must not exist)")
    p.add_argument("--key-file", action="append", required=True, help="a key file; repeat for several keys")
    p.add_argument("--tokenizer", required=True, help="the tokenizer (GGUF, tokenizer.json or tiktoken file)")
    p.add_argument("--id-column", default="id")
    p.add_argument("--text-column", default="text")
    p.add_argument("--ids-column", default="ids", help="token ids, for documents without text")
    p.add_argument("--id-type", choices=["infer", "string", "long"], default="infer",
                   help="JSON Lines: the id column's type; giving it skips Spark's schema inference pass, a line "
                        "without an id then gets a null one, and (with the default column names) the lines go to the "
                        "library as text, to be parsed as the CLI parses them (default: infer)")
    p.add_argument("--gamma", type=float, default=0.25)
    p.add_argument("--context-width", type=int, default=1)
    p.add_argument("--fpr", type=float, default=1e-4)
    p.add_argument("--min-tokens", type=int, default=16)
    p.add_argument("--scan", action="store_true", help="also scan windows (as detect --scan)")
    p.add_argument("--no-normalize", action="store_true")
    p.add_argument("--skip-common", help="a common-tuple list (as detect --skip-common)")
    p.add_argument("--calibration", help="a calibration file (one key only)")
    p.add_argument("--partitions", type=int, help="repartition the input into this many tasks first")
    p.add_argument("--threads-per-task", type=int, default=1, help="threads each task scores with (Spark already runs a task per core)")
    return p.parse_args(argv)


def fail(message):
    """One line on standard error and exit status 2 (written to the descriptor itself: under
    spark-submit, Python's sys.stderr may not be the process's)."""
    os.write(2, f"detect_job.py: error: {message}\n".encode())
    sys.exit(2)


def local_path(path):
    """The path on this executor: as given if it exists here, else the file shipped with --files."""
    if path is None or os.path.exists(path):
        return path
    from pyspark import SparkFiles
    shipped = SparkFiles.get(os.path.basename(path))
    return shipped if os.path.exists(shipped) else path


_DETECTORS = {}


def detector(config):
    """One Detector per Python worker and configuration: keys and tokenizer load once."""
    key = json.dumps(config, sort_keys=True)
    if key not in _DETECTORS:
        from swift_watermark import Detector, Key
        keys = [Key.from_file(local_path(k)) for k in config["keys"]]
        _DETECTORS[key] = Detector(keys, gamma=config["gamma"], context_width=config["context_width"],
                                   tokenizer=local_path(config["tokenizer"]), false_positive_rate=config["fpr"],
                                   min_tokens=config["min_tokens"], windowed_scan=config["scan"], normalize=config["normalize"],
                                   common_tuples=local_path(config["common_tuples"]), calibration=local_path(config["calibration"]))
    return _DETECTORS[key]


def with_id(line, doc_id):
    """A result or error line of the library with the document's "id" put in its sorted place,
    the rest left byte for byte as the library wrote it: results have "keyID" (the first key
    after "id"), errors only "error" (before it)."""
    id_json = json.dumps(doc_id, ensure_ascii=False, separators=(",", ":"))
    at = line.find(',"keyID":')
    if at < 0:
        return line[:-1] + ',"id":' + id_json + "}"
    return line[:at] + ',"id":' + id_json + line[at:]


def result_table(results, extra=()):
    """A batch's result lines as the output columns, read from all the lines at once by Arrow's
    JSON reader (in place of a json.loads per document; `result` stays the library's bytes).
    `extra` adds fields to read as well, as (name, Arrow type); ArrowInvalid if a value does
    not have its field's type."""
    import io
    import pyarrow as pa
    import pyarrow.json as pj

    arrow = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(f, arrow[t]) for f, t in OUTPUT_FIELDS] + [("error", pa.string())] + list(extra))
    data = "\n".join(results).encode()
    # One block for the whole batch, read in order on this task's thread.
    table = pj.read_json(io.BytesIO(data), parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
                         read_options=pj.ReadOptions(use_threads=False, block_size=max(1 << 16, len(data) + 1)))
    columns = {name: table.column(name).combine_chunks() for name in table.column_names}
    columns["result"] = pa.array(results, type=pa.string())
    return columns


def output_batch(id_array, columns):
    """The output record batch: id, the result fields, error, result."""
    import pyarrow as pa
    names = [f for f, _ in OUTPUT_FIELDS] + ["error", "result"]
    return pa.RecordBatch.from_arrays([id_array] + [columns[n] for n in names], names=["id"] + names)


def score_batches(config, id_type):
    """The mapInArrow function: Arrow record batches of (id, text, ids) in, results out.

    Per document, Python only splices the id into the library's JSON line (result_table reads
    the columns)."""
    def run(batches):
        det = detector(config)
        threads = config["threads"]
        for batch in batches:
            ids_col = batch.column(0).to_pylist()
            texts = batch.column(1).to_pylist()
            token_ids = batch.column(2).to_pylist()
            n = len(ids_col)
            lines = [None] * n
            text_rows = [i for i in range(n) if texts[i] is not None]
            ids_rows = [i for i in range(n) if texts[i] is None and token_ids[i]]
            if text_rows:
                _, ls = det.detect_batch_json([texts[i] for i in text_rows], threads=threads)
                for i, l in zip(text_rows, ls):
                    lines[i] = l
            if ids_rows:
                _, ls = det.detect_batch_json(ids=[token_ids[i] for i in ids_rows], threads=threads)
                for i, l in zip(ids_rows, ls):
                    lines[i] = l
            for i in range(n):
                if lines[i] is None:
                    message = f"has neither a \"{config['text_column']}\" nor an \"{config['ids_column']}\" value"
                    if texts[i] is None and token_ids[i] is not None:
                        message = f"\"{config['ids_column']}\" is empty"
                    lines[i] = json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":"))
            results = [with_id(l, d) for l, d in zip(lines, ids_col)]
            yield output_batch(batch.column(0).cast(id_type), result_table(results))

    return run


def score_lines(config, id_type):
    """The mapInArrow function for JSON Lines read as text: batches of whole lines in, results
    out. The library reads each line as `watermark detect --jsonl` does (so Spark never parses
    the JSON, which cost the executor as much CPU as scoring), from the Arrow buffers
    themselves, and writes each result with the line's "id"."""
    import pyarrow as pa

    def ids_of(lines):
        """The ids one by one, for a batch whose ids do not all have the column's type: a
        string column takes other values as their JSON text (as Spark's JSON reader does), an
        integer column nulls for non-integers."""
        out = []
        for line in lines:
            v = json.loads(line).get("id")
            if pa.types.is_string(id_type):
                out.append(v if v is None or isinstance(v, str) else json.dumps(v))
            else:
                out.append(v if isinstance(v, int) and not isinstance(v, bool) else None)
        return pa.array(out, type=id_type)

    def run(batches):
        det = detector(config)
        threads = config["threads"]
        for batch in batches:
            _, results = det.detect_jsonl_json(batch.column(0), threads=threads)
            try:
                columns = result_table(results, extra=[("id", id_type)])
                id_array = columns["id"]
            except pa.ArrowInvalid:
                columns = result_table(results)
                id_array = ids_of(results)
            yield output_batch(id_array, columns)

    return run


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from pyspark.sql import SparkSession, functions as F, types as T

    spark = SparkSession.builder.appName("watermark-detect").getOrCreate()
    fmt = args.format or ("parquet" if args.input.rstrip("/").endswith(".parquet") else "jsonl")
    config = {"keys": args.key_file, "tokenizer": args.tokenizer, "gamma": args.gamma, "context_width": args.context_width,
              "fpr": args.fpr, "min_tokens": args.min_tokens, "scan": args.scan, "normalize": not args.no_normalize,
              "common_tuples": args.skip_common, "calibration": args.calibration, "threads": args.threads_per_task,
              "text_column": args.text_column, "ids_column": args.ids_column}
    result_fields = [T.StructField(f, {"string": T.StringType(), "int64": T.LongType(), "float64": T.DoubleType(),
                                       "bool": T.BooleanType()}[t]) for f, t in OUTPUT_FIELDS]
    result_fields += [T.StructField("error", T.StringType()), T.StructField("result", T.StringType())]
    lines_path = (fmt == "jsonl" and args.id_type != "infer"
                  and (args.id_column, args.text_column, args.ids_column) == ("id", "text", "ids"))
    if lines_path:
        # The lines go to the library as text: it reads each as the CLI reads a line. Blank
        # lines are skipped, as the CLI skips them.
        import pyarrow as pa
        given = T.StringType() if args.id_type == "string" else T.LongType()
        lines = spark.read.text(args.input).where(F.trim(F.col("value"), F.lit(" \t\r")) != "")
        if args.partitions:
            lines = lines.repartition(args.partitions)
        schema = T.StructType([T.StructField("id", given)] + result_fields)
        scored = lines.mapInArrow(score_lines(config, pa.string() if args.id_type == "string" else pa.int64()), schema)
        return finish(spark, args, scored)
    if fmt == "parquet":
        df = spark.read.parquet(args.input)
    elif args.id_type == "infer":
        df = spark.read.json(args.input)
    else:
        # A schema given saves Spark a whole pass over the input to infer one; other fields
        # of the lines are not read at all.
        given = T.StringType() if args.id_type == "string" else T.LongType()
        df = spark.read.schema(T.StructType([T.StructField(args.id_column, given), T.StructField(args.text_column, T.StringType()),
                                             T.StructField(args.ids_column, T.ArrayType(T.LongType()))])).json(args.input)
    if args.id_column not in df.columns:
        fail(f"{args.input}: no \"{args.id_column}\" column (name it with --id-column)")
    text = F.col(args.text_column).cast("string") if args.text_column in df.columns else F.lit(None).cast("string")
    ids = (F.col(args.ids_column).cast(T.ArrayType(T.LongType())) if args.ids_column in df.columns
           else F.lit(None).cast(T.ArrayType(T.LongType())))
    docs = df.select(F.col(args.id_column).alias("id"), text.alias("text"), ids.alias("ids"))
    if args.partitions:
        docs = docs.repartition(args.partitions)
    id_field = docs.schema["id"]
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_type
    id_type = to_arrow_type(id_field.dataType)
    schema = T.StructType([id_field] + result_fields)
    return finish(spark, args, docs.mapInArrow(score_batches(config, id_type), schema))


def finish(spark, args, scored):
    """Writes the results and the summary, prints the summary and stops Spark."""
    from pyspark.sql import functions as F
    # Scored once, into Parquet; the JSON Lines and the summary are read back from it (cheaper
    # than caching the results: Parquet is columnar and only the needed columns are read).
    scored.write.parquet(os.path.join(args.output, "parquet"))
    results = spark.read.parquet(os.path.join(args.output, "parquet"))
    results.select("result").write.text(os.path.join(args.output, "jsonl"))
    row = results.agg(F.count(F.lit(1)).alias("documents"),
                      F.sum((F.col("verdict") == "watermarked").cast("long")).alias("watermarked"),
                      F.sum((F.col("verdict") == "too-short").cast("long")).alias("tooShort"),
                      F.sum(F.col("error").isNotNull().cast("long")).alias("errors")).collect()[0]
    documents = row["documents"]
    summary = {"documents": documents, "watermarked": row["watermarked"] or 0, "tooShort": row["tooShort"] or 0,
               "errors": row["errors"] or 0}
    scored = documents - summary["errors"]
    summary["watermarkedShare"] = summary["watermarked"] / scored if scored else 0.0
    # One line, written through Hadoop's file system API so that any output URI works, as
    # part-00000 and _SUCCESS like Spark's own output; a Spark job for it cost 2 s (a Python
    # worker's start) of a run's fixed time.
    jvm = spark.sparkContext._jvm
    folder = jvm.org.apache.hadoop.fs.Path(os.path.join(args.output, "summary"))
    fs = folder.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out = fs.create(jvm.org.apache.hadoop.fs.Path(folder, "part-00000"), False)
    out.write(bytearray((json.dumps(summary, sort_keys=True) + "\n").encode()))
    out.close()
    fs.create(jvm.org.apache.hadoop.fs.Path(folder, "_SUCCESS"), False).close()
    print(json.dumps(summary, sort_keys=True))
    spark.stop()


if __name__ == "__main__":
    main()
