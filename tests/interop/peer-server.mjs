// The stock automerge-repo sync server, for comparison in the benchmarks:
// `@automerge/automerge-repo` with its WebSocket server adapter and the
// `nodefs` storage adapter, configured as automerge-repo's own sync server
// is (it answers requests and announces nothing). No authentication, no
// access rules: any peer may read and write any document.
//
//   node peer-server.mjs DIR PORT     prints "listening on ws://127.0.0.1:PORT"
import { Repo } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketServer } from "ws"

const [dir, port] = process.argv.slice(2)
if (!dir || !port) {
  console.error("usage: node peer-server.mjs DIR PORT")
  process.exit(2)
}
const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(port) })
new Repo({
  network: [new NodeWSServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: "automerge-repo-server",
  sharePolicy: async () => false,
})
wss.on("listening", () => console.log(`listening on ws://127.0.0.1:${wss.address().port}`))
