/// Hand-written scanners equivalent to the reference pre-tokenizer regexes. Each appends the
/// end offsets of consecutive pieces that tile `[start, end)`; a segment boundary acts as the
/// end of the text for look-aheads, as it does when the reference splits first (special
/// tokens, digits) and runs the regex on each part.
enum Scanners {
    typealias C = CharClass

    /// Length after the apostrophe of `'s|'t|'re|'ve|'m|'ll|'d` at `i`, or 0.
    /// `caseInsensitive` follows `(?i:…)`, which also folds `ſ` (U+017F) to `s`.
    @inline(__always)
    static func contraction(_ t: UTF8Text, _ i: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard i < end else { return 0 }
        var c = t.p[i]
        if caseInsensitive {
            if c == 0xC5, i + 1 < end, t.p[i + 1] == 0xBF { return 2 }  // ſ
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
        }
        switch c {
        case 0x73, 0x74, 0x6D, 0x64: return 1  // s t m d
        case 0x72, 0x76, 0x6C:  // r v l need e e l
            guard i + 1 < end else { return 0 }
            var d = t.p[i + 1]
            if caseInsensitive && d >= 0x41 && d <= 0x5A { d |= 0x20 }
            if (c == 0x6C && d == 0x6C) || (c != 0x6C && d == 0x65) { return 2 }
            return 0
        default: return 0
        }
    }

    /// End of the run of scalars from `i` whose class intersects `mask`.
    @inline(__always)
    static func run(_ t: UTF8Text, from i: Int, _ end: Int, while mask: UInt8) -> Int {
        var q = i
        while q < end {
            let (c, n) = t.classAt(q)
            if c & mask == 0 { break }
            q += n
        }
        return q
    }

    /// End of the run of scalars from `i` whose class does not intersect `mask`.
    @inline(__always)
    static func run(_ t: UTF8Text, from i: Int, _ end: Int, whileNot mask: UInt8) -> Int {
        var q = i
        while q < end {
            let (c, n) = t.classAt(q)
            if c & mask != 0 { break }
            q += n
        }
        return q
    }

    /// End of the run of "other" scalars (`[^\s\p{L}\p{N}]`) from `i`.
    @inline(__always)
    /// The end of a whitespace piece starting at `i`: with `throughNewlines`, through the last
    /// newline of the run (`\s*[\r\n]+`, the cl100k family's rule); else `\s+(?!\S)` (all but
    /// the last space before a non-space), else `\s+`. With `wholeTrailing`, a run that reaches
    /// the end is taken whole.
    static func whitespaceEnd(_ t: UTF8Text, from i: Int, _ end: Int, wholeTrailing: Bool, throughNewlines: Bool = true) -> Int {
        var q = i
        var last = i
        var count = 0
        var afterNewline = -1
        while q < end {
            let (cc, n) = t.classAt(q)
            if cc & C.space == 0 { break }
            last = q
            q += n
            count += 1
            if cc & C.newline != 0 { afterNewline = q }
        }
        if wholeTrailing && q == end { return q }
        if throughNewlines && afterNewline >= 0 { return afterNewline }
        return (q == end || count == 1) ? q : last
    }

    static func otherRun(_ t: UTF8Text, from i: Int, _ end: Int) -> Int {
        var q = i
        while q < end {
            let (c, n) = t.classAt(q)
            if c & C.wordOrSpace != 0 { break }
            q += n
        }
        return q
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    static func gpt2(_ t: UTF8Text, _ start: Int, _ end: Int, _ ends: inout [Int]) {
        var i = start
        while i < end {
            let b = t.p[i]
            if b == 0x27 {
                let n = contraction(t, i + 1, end, caseInsensitive: false)
                if n > 0 {
                    i += 1 + n
                    ends.append(i)
                    continue
                }
            }
            var (c, len) = t.classAt(i)
            var j = i
            if b == 0x20 && i + 1 < end {
                let (c2, len2) = t.classAt(i + 1)
                if c2 & C.space == 0 {
                    j = i + 1
                    c = c2
                    len = len2
                }
            }
            if c & C.space != 0 {
                // \s+(?!\S) keeps the last whitespace for the next piece unless the run ends the text.
                i = whitespaceEnd(t, from: i, end, wholeTrailing: false, throughNewlines: false)
            } else if c & C.letter != 0 {
                i = run(t, from: j + len, end, while: C.letter)
            } else if c & C.number != 0 {
                i = run(t, from: j + len, end, while: C.number)
            } else {
                i = otherRun(t, from: j + len, end)
            }
            ends.append(i)
        }
    }

    /// SmolLM: every `\p{N}` is its own piece (HF `Digits(individual_digits: true)`), and the
    /// text between is split with the GPT-2 rules.
    static func smollm(_ t: UTF8Text, _ start: Int, _ end: Int, _ ends: inout [Int]) {
        var segment = start
        var i = start
        while i < end {
            let (c, n) = t.classAt(i)
            if c & C.number != 0 {
                if segment < i { gpt2(t, segment, i, &ends) }
                i += n
                ends.append(i)
                segment = i
            } else {
                i += n
            }
        }
        if segment < end { gpt2(t, segment, end, &ends) }
    }

    /// Llama 3 / cl100k (`maxDigits` 3) and Qwen 2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    ///
    /// With `lettersWithMarks` (Qwen 3.5) `\p{L}` becomes `[\p{L}\p{M}]` in the letter rule
    /// and marks leave the "other" class: `[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+` and
    /// ` ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*`.
    ///
    /// With `wholeTrailingWhitespace` (tiktoken's current cl100k pattern, which has `\s++$`
    /// before `\s*[\r\n]`) a whitespace run that reaches the end of the text is one piece.
    static func cl100k(
        _ t: UTF8Text, _ start: Int, _ end: Int, maxDigits: Int, lettersWithMarks: Bool = false,
        wholeTrailingWhitespace: Bool = false, _ ends: inout [Int]
    ) {
        let letters = lettersWithMarks ? C.letter | C.mark : C.letter
        let wordOrSpace = letters | C.number | C.space
        var i = start
        while i < end {
            let b = t.p[i]
            if b == 0x27 {
                let n = contraction(t, i + 1, end, caseInsensitive: true)
                if n > 0 {
                    i += 1 + n
                    ends.append(i)
                    continue
                }
            }
            let (c, len) = t.classAt(i)
            if c & letters != 0 {
                i = run(t, from: i + len, end, while: letters)
                ends.append(i)
                continue
            }
            // `[^\r\n\p{L}\p{N}]?` then letters (a mark is a valid prefix unless marks join letters,
            // in which case the branch above already took it).
            if c & (C.letter | C.number | C.newline) == 0 && i + len < end {
                let (c2, len2) = t.classAt(i + len)
                if c2 & letters != 0 {
                    i = run(t, from: i + len + len2, end, while: letters)
                    ends.append(i)
                    continue
                }
            }
            if c & C.number != 0 {
                var q = i + len
                var k = 1
                while k < maxDigits && q < end {
                    let (cc, n) = t.classAt(q)
                    if cc & C.number == 0 { break }
                    q += n
                    k += 1
                }
                i = q
                ends.append(i)
                continue
            }
            var otherStart = -1
            if c & C.space == 0 {
                otherStart = i
            } else if b == 0x20 && i + 1 < end && t.classAt(i + 1).cls & wordOrSpace == 0 {
                otherStart = i + 1
            }
            if otherStart >= 0 {
                var q = run(t, from: otherStart, end, whileNot: wordOrSpace)
                while q < end && (t.p[q] == 0x0A || t.p[q] == 0x0D) { q += 1 }
                i = q
                ends.append(i)
                continue
            }
            i = whitespaceEnd(t, from: i, end, wholeTrailing: wholeTrailingWhitespace)
            ends.append(i)
        }
    }
}

extension Scanners {
    /// OpenAI o200k:
    /// `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
    /// `|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
    /// `|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    ///
    /// The first two alternatives overlap (Lm, Lo and marks are in both classes), so the
    /// scanner reproduces the backtracking: see `upperThenLower`.
    static func o200k(_ t: UTF8Text, _ start: Int, _ end: Int, _ ends: inout [Int]) {
        let upperSet = C.upper | C.modifierOther | C.mark
        let lettersOrMarks = C.letter | C.mark
        var i = start
        while i < end {
            let b = t.p[i]
            let (c, len) = t.classAt(i)
            let canPrefix = c & (C.letter | C.number | C.newline) == 0 && i + len < end
            var e = -1
            if canPrefix { e = upperThenLower(t, i + len, end) }
            if e < 0 && c & lettersOrMarks != 0 { e = upperThenLower(t, i, end) }
            if e < 0 && canPrefix { e = upperRun(t, i + len, end) }
            if e < 0 && c & upperSet != 0 { e = upperRun(t, i, end) }
            if e >= 0 {
                i = e
                ends.append(i)
                continue
            }
            if c & C.number != 0 {
                var q = i + len
                var k = 1
                while k < 3 && q < end {
                    let (cc, n) = t.classAt(q)
                    if cc & C.number == 0 { break }
                    q += n
                    k += 1
                }
                i = q
                ends.append(i)
                continue
            }
            var otherStart = -1
            if c & C.space == 0 {
                otherStart = i
            } else if b == 0x20 && i + 1 < end && t.classAt(i + 1).cls & C.wordOrSpace == 0 {
                otherStart = i + 1
            }
            if otherStart >= 0 {
                var q = otherRun(t, from: otherStart, end)
                while q < end && (t.p[q] == 0x0A || t.p[q] == 0x0D || t.p[q] == 0x2F) { q += 1 }
                i = q
                ends.append(i)
                continue
            }
            i = whitespaceEnd(t, from: i, end, wholeTrailing: false)
            ends.append(i)
        }
    }

    /// `U*W+C?` from `j` (U = Lu Lt Lm Lo M, W = Ll Lm Lo M, C = optional contraction):
    /// the end of the match or -1. U* is greedy; when no W follows the U-run, it gives back
    /// characters until the last one that is also in W (Lm, Lo or a mark).
    static func upperThenLower(_ t: UTF8Text, _ j: Int, _ end: Int) -> Int {
        let upperSet = C.upper | C.modifierOther | C.mark
        let lowerSet = C.lower | C.modifierOther | C.mark
        var q = j
        var lastSharedEnd = -1
        while q < end {
            let (c, n) = t.classAt(q)
            if c & upperSet == 0 { break }
            q += n
            if c & lowerSet != 0 { lastSharedEnd = q }
        }
        var e: Int
        if q < end && t.classAt(q).cls & lowerSet != 0 {
            e = run(t, from: q, end, while: lowerSet)
        } else if lastSharedEnd >= 0 {
            e = lastSharedEnd
        } else {
            return -1
        }
        if e < end && t.p[e] == 0x27 {
            let n = contraction(t, e + 1, end, caseInsensitive: true)
            if n > 0 { e += 1 + n }
        }
        return e
    }

    /// `U+W*C?` from `j`: the end of the match or -1.
    static func upperRun(_ t: UTF8Text, _ j: Int, _ end: Int) -> Int {
        let upperSet = C.upper | C.modifierOther | C.mark
        let lowerSet = C.lower | C.modifierOther | C.mark
        let q = run(t, from: j, end, while: upperSet)
        if q == j { return -1 }
        var e = run(t, from: q, end, while: lowerSet)
        if e < end && t.p[e] == 0x27 {
            let n = contraction(t, e + 1, end, caseInsensitive: true)
            if n > 0 { e += 1 + n }
        }
        return e
    }
}
