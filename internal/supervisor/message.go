package supervisor

// message is what the loop reads from its queue: a WorkerEvent, a request
// made through a method, or a tick of its timer. The set is closed: the
// loop's switch in handle covers every type that implements it.
type message interface{ loopMessage() }

// WorkerEvent is what a Spawner reports about one of its workers: Exited,
// Notified, Reported or Listening. Its method is unexported, so no other
// package can make one the loop would not know.
type WorkerEvent interface {
	message
	workerEvent()
}

func (Exited) loopMessage()    {}
func (Notified) loopMessage()  {}
func (Reported) loopMessage()  {}
func (Listening) loopMessage() {}

func (Exited) workerEvent()    {}
func (Notified) workerEvent()  {}
func (Reported) workerEvent()  {}
func (Listening) workerEvent() {}

func (tick) loopMessage()            {}
func (shutdownRequest) loopMessage() {}
func (killRequest) loopMessage()     {}
func (reloadRequest) loopMessage()   {}
func (restartRequest) loopMessage()  {}
func (signalRequest) loopMessage()   {}
func (scaleRequest) loopMessage()    {}
func (freezeRequest) loopMessage()   {}
func (quiesced) loopMessage()        {}
func (statusRequest) loopMessage()   {}
func (retuneRequest) loopMessage()   {}

// loopSink is the Sink the loop hands its spawner: it posts to the loop.
type loopSink struct{ s *Supervisor }

func (k loopSink) Post(ev WorkerEvent) { k.s.post(ev) }

// post hands a message to the loop. It never blocks once the loop has ended.
func (s *Supervisor) post(m message) {
	select {
	case s.events <- m:
	case <-s.done:
	}
}
