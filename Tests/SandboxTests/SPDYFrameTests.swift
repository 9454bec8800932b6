import NIOCore
import Testing

@testable import Sandbox

/// SPDY/3.1 framing and header compression of the sandbox's kubectl port-forward, without I/O.
@Suite struct SPDYFrameTests {
    @Test func theDictionaryIsSPDY3s() {
        // zlib names a preset dictionary by its Adler-32; kubectl's deflater announces this one.
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in SPDYHeaderCompression.dictionary {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        #expect(SPDYHeaderCompression.dictionary.count == 1423)
        #expect(b << 16 | a == 0xe3c6_a7c2)
    }

    @Test func headerBlocksSurviveOneStreamEachWayAcrossFrames() throws {
        let deflater = try SPDYHeaderCompression(inflating: false)
        let inflater = try SPDYHeaderCompression(inflating: true)
        for request in ["0", "1", "2"] {
            let headers = [(name: "streamtype", value: "data"), (name: "port", value: "8080"), (name: "requestid", value: request)]
            let compressed = try deflater.deflate(SPDYHeaderBlock.encode(headers))
            let decoded = try #require(SPDYHeaderBlock.decode(try inflater.inflate(compressed)))
            #expect(decoded.map(\.name) == headers.map(\.name))
            #expect(decoded.map(\.value) == headers.map(\.value))
        }
    }

    @Test func aBlockFromAnotherStreamIsRefused() throws {
        let inflater = try SPDYHeaderCompression(inflating: true)
        #expect(throws: SPDYHeaderCompression.Failure.self) { try inflater.inflate([0x78, 0x9c, 0xff, 0xff, 0xff]) }
    }

    @Test func framesRoundTripAndWaitForTheirLastByte() throws {
        let frames: [SPDYFrame] = [
            .synStream(stream: 1, flags: 0, headerBlock: [1, 2, 3]), .synReply(stream: 1, headerBlock: [4]),
            .rstStream(stream: 3, status: 5), .ping(id: 7), .goAway(lastStream: 9),
            .data(stream: 1, flags: SPDYFrame.finFlag, payload: ByteBuffer(string: "hello")),
        ]
        var all = ByteBuffer()
        for frame in frames { frame.write(to: &all) }
        // Byte by byte: nothing is read before a frame is whole.
        var pending = ByteBuffer()
        var read: [SPDYFrame] = []
        while var byte = all.readSlice(length: 1) {
            pending.writeBuffer(&byte)
            while let frame = try SPDYFrame.read(from: &pending) { read.append(frame) }
        }
        #expect(read == frames)
    }

    @Test func anotherVersionIsRefused() {
        var buffer = ByteBuffer(bytes: [0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1])
        #expect(throws: SPDYFrame.Failure.unsupportedVersion(2)) { try SPDYFrame.read(from: &buffer) }
    }
}

/// The `channel.k8s.io` framing of exec, without I/O.
@Suite struct ExecChannelTests {
    @Test func readsInputItsEndAndResizes() {
        #expect(ExecChannel.read(ByteBuffer(bytes: [0, 104, 105]), version: .v5) == .input([104, 105]))
        #expect(ExecChannel.read(ByteBuffer(bytes: [255, 0]), version: .v5) == .closeInput)
        #expect(ExecChannel.read(ByteBuffer(bytes: [255, 0]), version: .v4) == .ignored)
        #expect(ExecChannel.read(ByteBuffer(bytes: [4] + Array(#"{"Width":80,"Height":24}"#.utf8)), version: .v4) == .resize(width: 80, height: 24))
        #expect(ExecChannel.read(ByteBuffer(), version: .v5) == .ignored)
    }

    @Test func anExitCodeBecomesTheCauseKubectlReads() {
        #expect(ExecChannel.exitStatus(0)["status"] == "Success")
        let failed = ExecChannel.exitStatus(3)
        #expect(failed["reason"] == "NonZeroExitCode")
        #expect(failed[path: "details", "causes"]?.arrayValue?.first?["message"] == "3")
    }
}
