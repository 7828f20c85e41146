/// Byte-level BPE tokenizer (work in progress; see issue 3).
public enum TokenizerModule {}
