import Foundation
import NIOConcurrencyHelpers

/// Valid PNG files without an image library: 8-bit RGB, zlib with stored (uncompressed)
/// deflate blocks, CRC-32 per chunk and Adler-32 over the raw scanlines.
enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    private static let cache = NIOLockedValueBox<[String: Data]>([:])

    /// A deterministic gradient whose colours depend on `seed`, so outputs differ per seed.
    /// Cached (a few entries): replays and benchmarks ask for the same images again and again.
    static func gradient(width: Int, height: Int, seed: UInt64) -> Data {
        let w = max(1, min(width, 4096)), h = max(1, min(height, 4096))
        let key = "\(w)x\(h)#\(seed)"
        if let hit = cache.withLockedValue({ $0[key] }) { return hit }
        var rng = SplitMix64(seed: seed)
        let base = (UInt8(truncatingIfNeeded: rng.next()), UInt8(truncatingIfNeeded: rng.next()), UInt8(truncatingIfNeeded: rng.next()))
        let stride = w * 3 + 1
        // One row template (depends on x only), copied per row with the green channel set per row.
        var template = [UInt8](repeating: 0, count: stride)
        for x in 0..<w {
            let gx = UInt8(truncatingIfNeeded: x * 255 / max(1, w - 1))
            template[1 + x * 3] = base.0 &+ gx
            template[3 + x * 3] = base.2 &+ gx / 2
        }
        let raw = [UInt8](unsafeUninitializedCapacity: stride * h) { buf, count in
            for y in 0..<h {
                let gy = base.1 &+ UInt8(truncatingIfNeeded: y * 255 / max(1, h - 1))
                let row = y * stride
                template.withUnsafeBufferPointer { t in
                    guard let src = t.baseAddress, let dst = buf.baseAddress else { return }
                    (dst + row).update(from: src, count: stride)
                }
                var i = row + 2
                while i < row + stride { buf[i] = gy; i += 3 }
            }
            count = stride * h
        }
        let png = encode(width: w, height: h, rgb: raw)
        cache.withLockedValue { c in
            if c.count >= 16 { c.removeAll() }
            c[key] = png
        }
        return png
    }

    static func encode(width: Int, height: Int, rgb scanlines: [UInt8]) -> Data {
        var out = Data(signature)
        var ihdr = [UInt8]()
        ihdr += be32(UInt32(width)) + be32(UInt32(height))
        ihdr += [8, 2, 0, 0, 0]  // depth 8, colour type RGB, deflate, adaptive filter, no interlace
        chunk("IHDR", ihdr, into: &out)
        chunk("IDAT", zlibStored(scanlines), into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65_535, data.count - offset)
            let last: UInt8 = offset + n >= data.count ? 1 : 0
            out.append(last)
            out.append(UInt8(n & 0xFF)); out.append(UInt8(n >> 8))
            out.append(UInt8(~n & 0xFF)); out.append(UInt8((~n >> 8) & 0xFF))
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        return out + be32(adler32(data))
    }

    static func chunk(_ type: String, _ body: [UInt8], into out: inout Data) {
        let t = Array(type.utf8)
        out.append(contentsOf: be32(UInt32(body.count)))
        out.append(contentsOf: t)
        out.append(contentsOf: body)
        out.append(contentsOf: be32(crc32(t + body)))
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        crcTable.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { p in
                for b in p { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
            }
        }
        return c ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        bytes.withUnsafeBufferPointer { p in
            for chunk in stride(from: 0, to: p.count, by: 5552) {
                for i in chunk..<min(chunk + 5552, p.count) { a += UInt32(p[i]); b += a }
                a %= 65_521; b %= 65_521
            }
        }
        return (b << 16) | a
    }
}

/// `data:` URLs as prediction inputs (the service accepts them up to 256 KB).
enum DataURL {
    static func decode(_ s: String) -> Data? {
        guard s.hasPrefix("data:"), let comma = s.firstIndex(of: ",") else { return nil }
        let meta = s[s.index(s.startIndex, offsetBy: 5)..<comma]
        let payload = String(s[s.index(after: comma)...])
        if meta.hasSuffix(";base64") { return Data(base64Encoded: payload) }
        return payload.removingPercentEncoding.map { Data($0.utf8) }
    }
}
