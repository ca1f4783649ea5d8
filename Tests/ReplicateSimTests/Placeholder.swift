import Testing

@Test func placeholderReplicateSimTests() { #expect(true) }
