package dbusapi

// The introspection data, written by hand so that every argument has a name
// (godbus's reflection leaves them empty). introspect_test.go checks it
// against the methods and property structs, so they cannot drift apart.

const standardInterfaces = `
 <interface name="org.freedesktop.DBus.Peer">
  <method name="Ping"/>
  <method name="GetMachineId">
   <arg type="s" name="machine_uuid" direction="out"/>
  </method>
 </interface>
 <interface name="org.freedesktop.DBus.Introspectable">
  <method name="Introspect">
   <arg name="xml_data" type="s" direction="out"/>
  </method>
 </interface>
 <interface name="org.freedesktop.DBus.Properties">
  <method name="Get">
   <arg name="interface_name" direction="in" type="s"/>
   <arg name="property_name" direction="in" type="s"/>
   <arg name="value" direction="out" type="v"/>
  </method>
  <method name="GetAll">
   <arg name="interface_name" direction="in" type="s"/>
   <arg name="props" direction="out" type="a{sv}"/>
  </method>
  <method name="Set">
   <arg name="interface_name" direction="in" type="s"/>
   <arg name="property_name" direction="in" type="s"/>
   <arg name="value" direction="in" type="v"/>
  </method>
  <signal name="PropertiesChanged">
   <arg type="s" name="interface_name"/>
   <arg type="a{sv}" name="changed_properties"/>
   <arg type="as" name="invalidated_properties"/>
  </signal>
 </interface>`

const introspectHeader = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
`

// Property annotations: "const" never changes, "false" changes without a
// signal (read it when you need it), the default "true" is signalled.
const (
	constProp    = `><annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/></property>`
	volatileProp = `><annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/></property>`
)

const managerXML = introspectHeader + `<node>
 <interface name="org.poold.pool1.Manager">
  <method name="Scale">
   <arg type="i" name="workers" direction="in"/>
   <arg type="t" name="flags" direction="in"/>
  </method>
  <method name="Reload">
   <arg type="t" name="flags" direction="in"/>
   <arg type="u" name="generation" direction="out"/>
  </method>
  <method name="RestartWorker">
   <arg type="u" name="slot" direction="in"/>
   <arg type="t" name="flags" direction="in"/>
  </method>
  <method name="SignalWorkers">
   <arg type="i" name="slot" direction="in"/>
   <arg type="i" name="signal" direction="in"/>
  </method>
  <method name="ListWorkers">
   <arg type="a(tuusutttusttotttttttbt)" name="workers" direction="out"/>
  </method>
  <method name="Broadcast">
   <arg type="s" name="json" direction="in"/>
   <arg type="t" name="flags" direction="in"/>
   <arg type="u" name="workers" direction="out"/>
  </method>
  <method name="PushConfig">
   <arg type="t" name="flags" direction="in"/>
   <arg type="u" name="workers" direction="out"/>
  </method>
  <method name="Upgrade">
   <arg type="t" name="flags" direction="in"/>
   <arg type="s" name="to_version" direction="out"/>
  </method>
  <signal name="WorkerNew">
   <arg type="t" name="id"/>
   <arg type="o" name="path"/>
  </signal>
  <signal name="WorkerRemoved">
   <arg type="t" name="id"/>
   <arg type="o" name="path"/>
  </signal>
  <property name="Name" type="s" access="read"` + constProp + `
  <property name="Version" type="s" access="read"` + constProp + `
  <property name="State" type="s" access="read"/>
  <property name="StatusText" type="s" access="read"/>
  <property name="TargetWorkers" type="u" access="read"/>
  <property name="MaxWorkers" type="u" access="read"` + constProp + `
  <property name="ReadyWorkers" type="u" access="read"/>
  <property name="StartingWorkers" type="u" access="read"/>
  <property name="StoppingWorkers" type="u" access="read"/>
  <property name="Generation" type="u" access="read"/>
  <property name="WorkersReason" type="s" access="read"/>
  <property name="ReadyMode" type="s" access="read"` + constProp + `
  <property name="Listen" type="as" access="read"` + constProp + `
  <property name="Command" type="as" access="read"/>
  <property name="MainPID" type="u" access="read"` + constProp + `
  <property name="Bus" type="s" access="read"` + constProp + `
  <property name="Distribution" type="s" access="read"` + constProp + `
  <property name="WorkerCgroups" type="s" access="read"` + constProp + `
  <property name="FailingSlots" type="a(ubusast)" access="read"/>
  <property name="BinaryReplaced" type="b" access="read"` + volatileProp + `
  <property name="ReplacementVersion" type="s" access="read"` + volatileProp + `
  <property name="LastUpgrade" type="(sstts)" access="read"` + volatileProp + `
  <property name="UpgradeOnInstall" type="b" access="read"` + constProp + `
  <property name="Generations" type="a(uuuasasasasasasas)" access="read"/>
 </interface>` + standardInterfaces + `
 <node name="worker"/>
</node>
`

const workerXML = introspectHeader + `<node>
 <interface name="org.poold.pool1.Worker">
  <property name="ID" type="t" access="read"` + constProp + `
  <property name="Slot" type="u" access="read"` + constProp + `
  <property name="PID" type="u" access="read"` + constProp + `
  <property name="State" type="s" access="read"/>
  <property name="Generation" type="u" access="read"` + constProp + `
  <property name="StartedUSec" type="t" access="read"` + constProp + `
  <property name="ReadyUSec" type="t" access="read"/>
  <property name="LastHeartbeatUSec" type="t" access="read"` + volatileProp + `
  <property name="Restarts" type="u" access="read"/>
  <property name="StatusText" type="s" access="read"/>
  <property name="MemoryCurrent" type="t" access="read"` + volatileProp + `
  <property name="CPUUsageNSec" type="t" access="read"` + volatileProp + `
  <property name="MetricsUSec" type="t" access="read"` + volatileProp + `
  <property name="LoopDelayP99USec" type="t" access="read"` + volatileProp + `
  <property name="LoopDelayMaxUSec" type="t" access="read"` + volatileProp + `
  <property name="HeapUsedBytes" type="t" access="read"` + volatileProp + `
  <property name="HeapTotalBytes" type="t" access="read"` + volatileProp + `
  <property name="RequestsTotal" type="t" access="read"` + volatileProp + `
  <property name="ActiveRequests" type="t" access="read"` + volatileProp + `
  <property name="ChannelOpen" type="b" access="read"/>
  <property name="MessagesDropped" type="t" access="read"` + volatileProp + `
 </interface>` + standardInterfaces + `
</node>
`
