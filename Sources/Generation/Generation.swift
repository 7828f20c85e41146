/// Llama-family CPU runtime (in progress; see issue 4).
public enum GenerationModule {}
