import Testing
import TestSupport
import Detection
import Evaluation

@Suite("text normalisation against character tricks")
struct NormalizationTests {
    static let prose = """
        The keeper climbed the spiral stairs at dusk, trimmed the wick and wound the clockwork that \
        turned the lens. Ships passing the reef saw its beam sweep across the water every ten seconds.
        He wrote the weather in the log: wind from the south-west, a falling glass, rain before morning.
        """

    @Test(arguments: ["zero-width", "whitespace", "homoglyph", "emoji"])
    func characterTricksAreUndone(kind: String) throws {
        for seed in 0..<20 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let attack = try #require(TextAttack(kind: kind, rate: 0.4))
            let attacked = attack.apply(to: Self.prose, using: &rng)
            #expect(attacked != Self.prose)
            #expect(TextNormalizer.normalize(attacked) == Self.prose, "\(kind) seed \(seed)")
        }
    }

    @Test func realTextInOtherScriptsIsUntouched() {
        for text in ["Съешь же ещё этих мягких французских булок, да выпей чаю.",
                     "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
                     "東京は日本の首都です。", "नमस्ते दुनिया", "کتاب‌ها را خواندم", "naïve café — “quotes” and ‘apostrophes’",
                     "tabs\tand\nnewlines  and double  spaces"] {
            #expect(TextNormalizer.normalize(text) == text, "\(text)")
        }
    }

    @Test func wordLevelAttacksAreDeterministicAndDoWhatTheySay() throws {
        let words = Self.prose.split(separator: " ").count
        for kind in ["delete", "insert", "substitute", "case"] {
            var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
            let attack = try #require(TextAttack(kind: kind, rate: 0.3))
            let once = attack.apply(to: Self.prose, using: &a)
            #expect(once == attack.apply(to: Self.prose, using: &b))
            let count = once.split(separator: " ").count
            switch kind {
            case "delete": #expect(count < words && count > words / 2)
            case "insert": #expect(count > words && count < 2 * words)
            default: #expect(count == words && once != Self.prose)
            }
        }
        #expect(TextAttack(kind: "delete", rate: 1.5) == nil)
        #expect(TextAttack(kind: "paraphrase", rate: 0.1) == nil)
    }

    @Test func copyPastePlacesThePassageAtTheRequestedShare() {
        var rng = SeededGenerator(seed: 4)
        let human = (0..<2000).map { "human\($0)" }
        let placed = CopyPaste.embed(Self.prose, fraction: 0.25, humanWords: human, using: &rng)
        let bytes = Array(placed.text.utf8)
        #expect(String(decoding: bytes[placed.passage], as: UTF8.self) == Self.prose)
        let share = Double(Self.prose.split(separator: " ").count) / Double(placed.text.split(separator: " ").count)
        #expect(abs(share - 0.25) < 0.02)
    }
}
