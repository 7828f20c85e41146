import Testing
@testable import Generation
