import Testing

@Test func placeholderKosmoLuaTests() { #expect(true) }
