import Testing

@Test func placeholderReplicateTests() { #expect(true) }
