// The official automerge-repo JS client against trygg-server.
//
//   node interop.mjs create BASE TOKEN TITLE   creates a document, registers it,
//                                              syncs it, prints "created <id>",
//                                              then stays connected until killed
//   node interop.mjs read BASE TOKEN ID        finds the document and prints its
//                                              title as JSON
//   node interop.mjs follow BASE TOKEN KEY ID…  finds the documents, prints
//                                              "found", then writes KEY = n to
//                                              them in turn every 50 ms; on the
//                                              line "stop" on stdin it stops
//                                              writing and prints "written N";
//                                              on "heads" it prints each
//                                              document's heads as one JSON line
import { Repo, decodeHeads } from "@automerge/automerge-repo"
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
} else if (mode === "follow") {
  // In Node, automerge-repo's WebSocket client adapter rethrows every socket
  // error but ECONNREFUSED (a reset or a hang-up during a cut), which would
  // end the process; its close handler then reconnects, as in a browser.
  process.on("uncaughtException", (e) => {
    if (e.code === "ECONNRESET" || e.code === "EPIPE" || e.message === "socket hang up") {
      console.error(`network error, reconnecting: ${e.message}`)
    } else {
      console.error(e)
      process.exit(1)
    }
  })
  const [key, ...ids] = process.argv.slice(5)
  const repo = new Repo({ peerId: me.peer_id, network: [new WebSocketClientAdapter(syncUrl)] })
  const handles = []
  for (const id of ids) handles.push(await repo.find(`automerge:${id}`))
  console.log("found")
  let written = 0
  const writer = setInterval(() => {
    const h = handles[written % handles.length]
    written += 1
    h.change((d) => {
      d[key] = written
    })
  }, 50)
  const { createInterface } = await import("node:readline")
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "stop") {
      clearInterval(writer)
      console.log(`written ${written}`)
    } else if (line === "heads") {
      console.log(JSON.stringify(Object.fromEntries(handles.map((h, i) => [ids[i], decodeHeads(h.heads())]))))
    }
  }
  process.exit(0)
} else {
  console.error(`unknown mode ${mode}`)
  process.exit(2)
}
