import Testing

@Test func placeholderLuaHostTests() { #expect(true) }
