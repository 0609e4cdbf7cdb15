// The official automerge-repo JS client against trygg-server.
//
//   node interop.mjs create BASE TOKEN TITLE   creates a document, registers it,
//                                              syncs it, prints "created <id>",
//                                              then stays connected until killed
//   node interop.mjs read BASE TOKEN ID        finds the document and prints its
//                                              title as JSON
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

const [mode, base, token, arg] = process.argv.slice(2)
const auth = { authorization: `Bearer ${token}` }

const meResponse = await fetch(`${base}api/v1/me`, { headers: auth })
if (!meResponse.ok) {
  console.error(`GET /api/v1/me: ${meResponse.status}`)
  process.exit(2)
}
const me = await meResponse.json()
// Browsers cannot set headers on a WebSocket; the token goes in the query.
const syncUrl = `${base.replace(/^http/, "ws")}sync?token=${encodeURIComponent(token)}`

if (mode === "create") {
  // Register before the server ever hears of the document: start offline.
  const repo = new Repo({ peerId: me.peer_id, network: [] })
  const handle = repo.create({ doc_kind: "report", schema_version: 1, title: arg })
  const id = handle.documentId
  const registered = await fetch(`${base}api/v1/documents`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ id, kind: "report" }),
  })
  if (registered.status !== 201) {
    console.error(`POST /api/v1/documents: ${registered.status} ${await registered.text()}`)
    process.exit(2)
  }
  repo.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(syncUrl))
  console.log(`created ${id}`)
  setInterval(() => {}, 1000)
} else if (mode === "read") {
  const repo = new Repo({ peerId: me.peer_id, network: [new WebSocketClientAdapter(syncUrl)] })
  const handle = await repo.find(`automerge:${arg}`)
  const doc = handle.doc()
  console.log(JSON.stringify({ title: String(doc.title) }))
  process.exit(0)
} else {
  console.error(`unknown mode ${mode}`)
  process.exit(2)
}
