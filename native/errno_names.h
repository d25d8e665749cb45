// errno -> symbolic name ("ECONNRESET"), from one table, so JavaScript gets
// Node's system-error shape without guessing per platform.
#pragma once

namespace kts {

// The name of err, or "UNKNOWN" when the table does not have it.
const char* ErrnoName(int err);

}  // namespace kts
